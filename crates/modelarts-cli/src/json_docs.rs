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
        title: "`training-job list` (one page)",
        intro: "`-o json`: one document `{job_total_count, job_count_limit, quotas, page, jobs}`; the three \
                counts are the service's (integers or null), `page` the page shown, `jobs` an array of jobs. \
                `-o jsonl`: one job per line.",
        fields: JOB_FIELDS,
    },
    JsonDoc {
        title: "`training-job list --all`",
        intro: "Printed as the pages arrive. `-o json`: one document `{\"jobs\":[…],\"complete\":…,\"job_total_count\":N}`, \
                written as it goes: `job_total_count` is the number of jobs printed, `complete` is false when the \
                walk failed part-way (the error is on stderr, the exit status says which). `-o jsonl`: one job \
                per line. A job has the fields above.",
        fields: &[],
    },
    JsonDoc {
        title: "`training-job show`, `training-job versions`",
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
        title: "`training-job logs`, `training-job events`",
        intro: "`logs`: `-o json` prints `{\"lines\": [string]}`; `-o jsonl` (and `-o json` with `--follow`) one \
                `{\"line\": string}` per line, exactly as the service sent it, and with `--follow` the events \
                `{\"event\":\"stalled\",\"quiet_for_secs\",\"status\"}`, `{\"event\":\"gap\"}` (part of a v2 log \
                was never seen), `{\"event\":\"ended\",\"status\"}` and `{\"event\":\"timed_out\",\"status\"}`; with `--url`, `{\"obs_url\": string}`. \
                `events`: `{total, events: [{time, time_iso, level, source, message}]}`; `-o jsonl`: one event \
                per line (`time` as the service sent it, `time_iso` when it is epoch milliseconds).",
        fields: &[],
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

    #[test]
    fn error_fields_are_the_output() {
        let failure = crate::failure::Failure::new(crate::exit::ExitStatus::Other, "x");
        assert_eq!(names(ERROR_FIELDS), keys(&failure.json_fields()));
    }
}
