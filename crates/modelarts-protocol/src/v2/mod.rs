//! The v2 training-job API (current; job IDs are UUIDs): IDs, the job object and its phases, and
//! the offset-based list walk, and which job a name picks ([`name`]). The operations are in [`operations::v2`](crate::operations::v2).
//!
//! v1 (historical: numeric job and version IDs) and v2 are told apart by the ID's shape:
//! [`TrainingJobId::new`] refuses a number with "it looks like a v1 job id".

pub mod id;
pub mod model;
pub mod name;
pub mod pagination;
pub mod stop;

pub use id::{TrainingJobId, TrainingJobIdError, TrainingJobIdErrorReason};
pub use model::{
    Event, EventList, LogPreview, LogUrl, Metadata, Phase, Resource, Spec, Status, StopClass, TaskStatus,
    TrainingJob, TrainingJobList,
};
pub use name::{JobName, JobNameError, NameError, NameScope};
pub use pagination::{OffsetMode, PageStep, Paginator, WalkError};
pub use stop::{PhaseStatus, TrainingJobTarget};
