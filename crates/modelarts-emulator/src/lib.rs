//! modelarts-emulator (placeholder)
