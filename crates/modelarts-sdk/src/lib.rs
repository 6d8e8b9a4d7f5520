//! modelarts-sdk (placeholder)
