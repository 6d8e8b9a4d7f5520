//! The JSON output, field by field, for `docs/cli.md`. Tests check these lists against the real
//! documents (a stop outcome, a job, an error), so the page cannot drift from the output.

/// The version of the JSON documents' schema, in every document as `schema_version`. Raised when a
/// field's meaning changes (2: the outcome vocabulary of the table in `docs/cli.md`, where
/// `stopped` needs a stopped status read; the `list` document of both APIs).
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// One documented JSON document: a title, when it is printed, and its fields (name, type,
/// meaning).
pub(crate) struct JsonDoc {
    pub(crate) title: &'static str,
    pub(crate) intro: &'static str,
    pub(crate) fields: &'static [(&'static str, &'static str, &'static str)],
}

/// A job of `list` (`jobs[]`, or one line of `-o jsonl`).
pub(crate) const JOB_FIELDS: &[(&str, &str, &str)] = &[
    ("job_id", "integer", "the job's ID"),
    ("job_name", "string or null", "the job's name, exactly as the service sent it"),
    ("version_id", "integer or null", "the latest version's ID"),
    ("status", "integer", "the latest version's status code"),
    (
        "status_name",
        "string",
        "the status's name: `RUNNING`, `KILLED`, … (`UNKNOWN` for a code this client does not know)",
    ),
    ("create_time", "integer or null", "creation time, epoch milliseconds, as the service sent it"),
    (
        "create_time_iso",
        "string or null",
        "the same time in ISO 8601 UTC (`2024-05-01T12:00:00.000Z`); null when absent, 0, negative or after 9999-12-31",
    ),
    ("duration", "integer or null", "run time, milliseconds"),
    ("job_desc", "string or null", "the job's description"),
    ("version_count", "integer or null", "number of versions"),
];

/// A v2 job (`show UUID`, `items[]` of `list --api v2`, and of `list` for a v2 job): the service's
/// document as sent (unknown fields dropped), `api`, and an ISO 8601 twin beside each time.
pub(crate) const V2_JOB_FIELDS: &[(&str, &str, &str)] = &[
    ("api", "string", "`v2`"),
    ("kind", "string or null", "the job's kind (`job`)"),
    ("metadata.id", "string or null", "the job's ID, a UUID, exactly as the service sent it"),
    ("metadata.name", "string or null", "the job's name"),
    ("metadata.workspace_id", "string or null", "the workspace (`0`: the default one)"),
    ("metadata.description", "string or null", "the job's description"),
    ("metadata.create_time", "integer or null", "creation time, epoch milliseconds"),
    (
        "metadata.create_time_iso",
        "string or null",
        "the same in ISO 8601 UTC; null when absent, 0, negative or after 9999-12-31",
    ),
    ("metadata.user_name", "string or null", "the user who created it"),
    (
        "status.phase",
        "string or null",
        "the phase: `Creating`, `Pending`, `Running`, `Terminating`, `Terminated`, `Completed`, `Failed`, `Abnormal`, … (an unknown phase as sent)",
    ),
    ("status.secondary_phase", "string or null", "the finer phase the service sends"),
    ("status.duration", "integer or null", "run time, milliseconds"),
    ("status.start_time", "integer or null", "start time, epoch milliseconds"),
    ("status.start_time_iso", "string or null", "the same in ISO 8601 UTC"),
    ("status.tasks", "array of strings", "the job's tasks (`worker-0`, …), for `logs --task`"),
    (
        "status.task_statuses",
        "array of objects",
        "per task: `task`, `exit_code` (integer or null), `message`",
    ),
    ("spec.resource.flavor_id", "string or null", "the resource flavor"),
    ("spec.resource.node_count", "integer or null", "the number of nodes"),
    ("spec.resource.pool_id", "string or null", "the dedicated pool, if any"),
];

/// One event of `events` (`events[]`, or one line of `-o jsonl`).
pub(crate) const EVENT_FIELDS: &[(&str, &str, &str)] = &[
    ("time", "integer or null", "when it happened, epoch milliseconds; null when the service sent no number"),
    ("time_iso", "string or null", "the same in ISO 8601 UTC"),
    (
        "time_raw",
        "string or null",
        "the time exactly as the service sent it (a number's digits, or a date text)",
    ),
    ("level", "string or null", "`Info`, `Warning` or `Error`"),
    ("source", "string or null", "`K8S`, `Job` or `Task`"),
    ("message", "string or null", "what happened"),
];

/// One outcome of `stop` (single or batch: the same fields; `line` only with `--from-file`).
pub(crate) const OUTCOME_FIELDS: &[(&str, &str, &str)] = &[
    ("schema_version", "integer", "the version of this schema (2); raised when a field's meaning changes"),
    ("line", "integer", "only with `--from-file`: the line of the list this outcome answers"),
    ("api", "string", "`v1` (historical API, numeric IDs) or `v2` (current API, UUIDs)"),
    ("job_id", "integer or string", "the job's ID: a number (v1) or a UUID (v2)"),
    ("version_id", "integer or null", "the version's ID (v1); null for a v2 job"),
    (
        "outcome",
        "string",
        "one of the outcome table (see Outcomes): `stopped`, `stop_requested`, `already_stopping`, `already_stopped`, `ended_otherwise`, `not_found`, `unknown`, `not_sent`, `failed`",
    ),
    (
        "status",
        "integer, string or null",
        "the last status read: the v1 status code, or the v2 phase (`Terminated`, …); null when none was read",
    ),
    ("status_name", "string or null", "its name (v1 `KILLED`, …; v2 the phase)"),
    (
        "stop",
        "string or null",
        "what the stop call found: `accepted`, `already_stopping`, `already_final`, `confirmed_by_status`; null when no stop was made",
    ),
    ("elapsed_ms", "integer or null", "time spent on this job or version, milliseconds"),
    ("exit_code", "integer", "the exit status this outcome alone would give (see Exit status)"),
    ("error", "object or null", "why it did not succeed: the fields of `error` below"),
    (
        "hint",
        "string or null",
        "for `stop_requested`, `already_stopping` and `unknown`: the exact `wait` command that sees the stop through",
    ),
];

/// `{"error": …}` on stderr with JSON output.
pub(crate) const ERROR_FIELDS: &[(&str, &str, &str)] = &[
    ("message", "string", "what was being done, e.g. `cannot stop job 10 version 20`"),
    ("causes", "array of strings", "the cause chain, outermost first"),
    ("exit_code", "integer", "the process's exit status"),
    (
        "category",
        "string or null",
        "`config`, `credentials`, `invalid_input`, `service_refused`, `transient`, `malformed`, `internal`, `wait_timed_out`, `other_final_state`, `interrupted`, `other`",
    ),
    ("http_status", "integer or null", "the service's HTTP status, when it answered"),
    ("code", "string or null", "the service's error code (`ModelArts.2775`, `APIG.0301`, …)"),
    ("service_message", "string or null", "the service's error message"),
    ("request_id", "string or null", "the request ID of the last answer: quote it to support"),
    ("hints", "array of strings", "the next steps: what to check or change"),
];

/// Every documented document, in page order.
pub(crate) const DOCUMENTS: &[JsonDoc] = &[
    JsonDoc {
        title: "`training-job list` (both APIs, the default)",
        intro: "`-o json`: one document `{apis_read, workspaces_read, items, complete}`: the APIs read (`v2`, \
                `v1`), the v2 workspaces read, the jobs of both newest first, and `complete`, false when one \
                API's part failed (the error is on stderr, the exit status says which). An item is a v1 job \
                (the fields below, with `\"api\": \"v1\"`) or a v2 job (the v2 fields below). With `--all`: \
                `{items, apis_read, complete}`, written as the pages arrive. `-o jsonl`: one item per line.",
        fields: &[],
    },
    JsonDoc {
        title: "`training-job list --api v1` (one page), a v1 job",
        intro: "`-o json`: one document `{job_total_count, job_count_limit, quotas, page, jobs}`; the three \
                counts are the service's (integers or null), `page` the page shown, `jobs` an array of jobs. \
                With `--all`: `{jobs, complete, job_total_count}`, written as the pages arrive \
                (`job_total_count` is the number of jobs printed; `complete` is false when the walk failed \
                part-way). `-o jsonl`: one job per line.",
        fields: JOB_FIELDS,
    },
    JsonDoc {
        title: "`training-job list --api v2` (one page), `training-job show UUID`: a v2 job",
        intro: "`list --api v2 -o json`: `{api, total, count, limit, offset, page, items}` (the service's \
                counts, the offset sent, the page shown, the jobs); with `--all`: `{api, items, total, \
                complete}` as the pages arrive. `show UUID`: the job alone. `-o jsonl`: one job per line. Nested \
                fields are written `object.field`.",
        fields: V2_JOB_FIELDS,
    },
    JsonDoc {
        title: "`training-job show JOB_ID --version V`, `training-job versions`",
        intro: "`show`: the version detail, every field as the service sent it (`job_id`, `version_id`, \
                `version_name`, `status`, `create_time`, `start_time`, `duration`, `engine_name`, `spec_code`, \
                `data_url`, `train_url`, `log_url`, … see the ModelArts API reference), plus `status_name`, \
                `create_time_iso` and `start_time_iso` as for a job. `versions`: `{job_id, job_name, job_desc, \
                version_count, versions}` with `versions` an array of version details; `-o jsonl`: one version \
                per line.",
        fields: &[],
    },
    JsonDoc {
        title: "`training-job stop`, `training-job wait`",
        intro: "One document per version, one per line (`json` and `jsonl` alike), as each outcome is known; \
                a single stop, a wait and a batch print the same fields.",
        fields: OUTCOME_FIELDS,
    },
    JsonDoc {
        title: "`training-job stop --running --dry-run`",
        intro: "The jobs are listed (read-only) and no stop is sent: `-o json` prints \
                `{\"dry_run\":true,\"would_stop\":[{\"api\":…,\"job_id\":…,\"version_id\":…}]}`, `-o jsonl` one \
                `{\"dry_run\":true,\"job_id\":…,\"version_id\":…}` per version. Any other dry run prints the \
                signed request: `{dry_run, method, url, headers, body, curl}`, secrets masked.",
        fields: &[],
    },
    JsonDoc {
        title: "`training-job logs`",
        intro: "`-o json` prints `{\"lines\": [string]}`; `-o jsonl` (and `-o json` with `--follow`) one \
                `{\"line\": string}` per line, exactly as the service sent it, and with `--follow` the events \
                `{\"event\":\"stalled\",\"quiet_for_secs\",\"status\"}`, `{\"event\":\"gap\"}` (part of a v2 log \
                was never seen), `{\"event\":\"ended\",\"status\"}` and `{\"event\":\"timed_out\",\"status\"}`; \
                with `--url`, `{\"obs_url\": string}`.",
        fields: &[],
    },
    JsonDoc {
        title: "`training-job events` (v2)",
        intro: "`-o json`: `{total, events}` (`total` as the service counted, integer or null); `-o jsonl`: one \
                event per line.",
        fields: EVENT_FIELDS,
    },
    JsonDoc {
        title: "`configure list`",
        intro: "`{settings: [{name, value, source}], credentials_tried: [string]}`; `-o jsonl`: one setting \
                per line. Secrets are masked.",
        fields: &[],
    },
    JsonDoc {
        title: "Errors",
        intro: "With JSON output a failure is one `{\"error\": {…}}` document on stderr (stdout stays empty \
                unless outcomes were printed).",
        fields: ERROR_FIELDS,
    },
];

/// The "JSON output" section of `docs/cli.md`.
pub(crate) fn markdown() -> String {
    let mut page = String::from(
        "## JSON output\n\n`--output json` (`-o json`) and `-o jsonl` print stable documents for programs. \
         Values are exactly what the service sent; times come as epoch milliseconds with an ISO 8601 twin \
         (`create_time` and `create_time_iso`). Characters a terminal would act on are written as \
         `\\uXXXX` escapes, which decode to the same strings. Every document (each line of `-o jsonl`, and \
         the `{\"error\": …}` document on stderr) carries `schema_version` (now 2), raised when a field's \
         meaning changes; see `CHANGELOG.md`.\n\n",
    );
    for doc in DOCUMENTS {
        page.push_str(&format!("### {}\n\n{}\n\n", doc.title, doc.intro));
        if !doc.fields.is_empty() {
            page.push_str("| Field | Type | Meaning |\n|---|---|---|\n");
            for (name, kind, meaning) in doc.fields {
                page.push_str(&format!("| `{name}` | {kind} | {} |\n", meaning.replace('|', "\\|")));
            }
            page.push('\n');
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::item_json;

    fn names(fields: &[(&str, &str, &str)]) -> Vec<String> {
        let mut n: Vec<String> = fields.iter().map(|f| f.0.to_owned()).collect();
        n.sort();
        n
    }

    fn keys(value: &serde_json::Value) -> Vec<String> {
        let mut k: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }

    #[test]
    fn job_fields_are_the_output() {
        let job: modelarts_protocol::model::JobSummary = serde_json::from_str(
            r#"{"job_id":1,"job_name":"a","version_id":10,"status":8,"create_time":5,"duration":6,"job_desc":"d","version_count":1}"#,
        )
        .unwrap();
        assert_eq!(names(JOB_FIELDS), keys(&item_json(&job, job.status)));
    }

    /// The dotted paths of a document's fields: objects are walked, anything else is a leaf.
    fn paths(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
        for (key, inner) in value.as_object().unwrap() {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            match inner {
                serde_json::Value::Object(_) => paths(inner, &path, out),
                _ => out.push(path),
            }
        }
    }

    #[test]
    fn v2_job_fields_are_the_output() {
        // Every field the client reads, as the service sends them (the emulator's shape).
        let job: modelarts_protocol::v2::TrainingJob = serde_json::from_value(serde_json::json!({
            "kind": "job",
            "metadata": {"id": "3f2b1c9e-5a4d-4c1b-9e8f-0123456789ab", "name": "a", "workspace_id": "0",
                         "description": "d", "create_time": 1_700_000_000_000_i64, "user_name": "u"},
            "status": {"phase": "Running", "secondary_phase": "Running", "duration": 5, "start_time": 1_700_000_001_000_i64,
                       "tasks": ["worker-0"], "task_statuses": [{"task": "worker-0", "exit_code": 0, "message": "m"}]},
            "spec": {"resource": {"flavor_id": "f", "node_count": 1, "pool_id": "p"}}
        }))
        .unwrap();
        let doc = crate::commands::v2_job_json(&job);
        let mut found = Vec::new();
        paths(&doc, "", &mut found);
        found.sort();
        assert_eq!(names(V2_JOB_FIELDS), found);
        assert_eq!(doc["status"]["start_time_iso"], "2023-11-14T22:13:21.000Z");
    }

    #[test]
    fn event_fields_are_the_output() {
        for (time, want, iso) in [
            (
                Some("1700000000000"),
                serde_json::json!(1_700_000_000_000_i64),
                serde_json::json!("2023-11-14T22:13:20.000Z"),
            ),
            (Some("2024-05-01 12:00"), serde_json::Value::Null, serde_json::Value::Null),
            (None, serde_json::Value::Null, serde_json::Value::Null),
        ] {
            let event: modelarts_protocol::v2::Event = serde_json::from_value(
                serde_json::json!({"time": time, "level": "Info", "message": "m", "source": "Job"}),
            )
            .unwrap();
            let doc = crate::commands::event_json(&event);
            assert_eq!(names(EVENT_FIELDS), keys(&doc));
            assert_eq!((&doc["time"], &doc["time_iso"]), (&want, &iso), "{time:?}");
            assert_eq!(doc["time_raw"], serde_json::json!(time));
        }
    }

    #[test]
    fn error_fields_are_the_output() {
        let failure = crate::failure::Failure::new(crate::exit::ExitStatus::Other, "x");
        assert_eq!(names(ERROR_FIELDS), keys(&failure.json_fields()));
    }
}
