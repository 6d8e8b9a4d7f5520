//! modelarts-transport (placeholder)
