//! Compile-time checks of the futures the CLI awaits (the logging tests are in `tests/logging.rs`).

use crate::*;

/// The futures a command line awaits or spawns are `Send`.
#[allow(dead_code, reason = "compile-time check only")]
fn futures_are_send(client: &Client, job: JobId, version: VersionId) {
    fn is_send<F: Send>(_: F) {}
    is_send(client.stop_training_job(job, version));
    is_send(client.stop_and_wait(job, version, WaitOptions::default(), |_| {}));
    is_send(client.batch_stop(Vec::new(), BatchOptions::default(), |_| {}));
    is_send(client.list_training_jobs_all(ListQuery::default()));
    is_send(client.running_versions(None));
}
