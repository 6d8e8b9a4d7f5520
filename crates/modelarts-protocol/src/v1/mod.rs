//! The v1 API's own types (a job version is two numbers): [`status`], the 0..=22 status table,
//! and [`model`], the answers of the v1 operations. Its IDs are in [`crate::ids`], its operations
//! in [`crate::operations`], and its stoppable target (`TrainingJobVersion`) beside the safe stop
//! in [`crate::machine::stop`]. The v2 API is in [`crate::v2`].
//!
//! Both modules are also re-exported at the crate's root (`modelarts_protocol::status`,
//! `modelarts_protocol::model`), the paths they had before this module grouped them.

pub mod model;
pub mod status;
