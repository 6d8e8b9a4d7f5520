//! The admin API under `/__emulator/`: unauthenticated, loopback peers only (others get 403), JSON in
//! and out, never journaled. Every route maps onto a [`StateHandle`] method; the crate docs list them.

use std::sync::Arc;

use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ConnInfo, HttpResponse, respond};
use crate::body::ResponseBody;
use crate::config::SettingsPatch;
use crate::faults::{Route, parse_scripts};
use crate::state::{Shared, StateHandle, parse_seeds, to_ms};
use crate::throttle::ThrottleSettings;

const MAX_ADMIN_BODY: usize = 64 << 20;

fn reply(shared: &Shared, status: StatusCode, value: &Value) -> HttpResponse {
    respond(shared, status, "application/json", None, None, ResponseBody::full(value.to_string()))
}

fn error(shared: &Shared, status: StatusCode, msg: impl Into<String>) -> HttpResponse {
    reply(shared, status, &json!({ "error": msg.into() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockUpdate {
    offset_ms: Option<i64>,
    offset_secs: Option<i64>,
    advance_ms: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StallTarget {
    job_id: Option<u64>,
    version_id: Option<u64>,
    training_job_id: Option<String>,
}

fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').filter_map(|p| p.split_once('=')).find(|(k, _)| *k == key).map(|(_, v)| v)
}

pub(crate) async fn handle(shared: &Arc<Shared>, conn: &ConnInfo, req: Request<Incoming>) -> HttpResponse {
    if !is_loopback_peer(conn.peer.ip()) {
        return error(shared, StatusCode::FORBIDDEN, "the admin API answers loopback peers only");
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_ADMIN_BODY).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => return error(shared, StatusCode::PAYLOAD_TOO_LARGE, format!("body not read: {e}")),
    };
    let path = parts.uri.path().trim_end_matches('/');
    let resource = path.strip_prefix("/__emulator").unwrap_or("");
    let query = parts.uri.query().unwrap_or("");
    let state = StateHandle { shared: shared.clone() };
    let ok = |v: Value| reply(shared, StatusCode::OK, &v);
    let bad = |m: String| error(shared, StatusCode::BAD_REQUEST, m);

    match (&parts.method, resource) {
        (&Method::GET, "/jobs") => ok(json!({ "jobs": state.jobs() })),
        (&Method::POST, "/jobs") => match parse_seeds(&body) {
            Ok(seeds) => {
                let created: Vec<Value> = state
                    .seed_jobs(seeds)
                    .into_iter()
                    .map(|(job_id, version_ids)| json!({"job_id": job_id, "version_ids": version_ids}))
                    .collect();
                ok(json!({ "jobs": created }))
            }
            Err(e) => bad(e),
        },
        (&Method::DELETE, "/jobs") => {
            state.clear_jobs();
            ok(json!({ "jobs": [] }))
        }
        (&Method::GET, "/v2/jobs") => ok(json!({ "jobs": state.v2_jobs() })),
        (&Method::POST, "/v2/jobs") => match crate::v2_model::parse_v2_seeds(&body) {
            Ok(seeds) => ok(json!({ "jobs": state.seed_v2_jobs(seeds) })),
            Err(e) => bad(e),
        },
        (&Method::DELETE, "/v2/jobs") => {
            state.clear_v2_jobs();
            ok(json!({ "jobs": [] }))
        }
        (&Method::POST, "/logs/stall") => match serde_json::from_slice::<StallTarget>(&body) {
            Ok(StallTarget { job_id: Some(j), version_id: Some(v), training_job_id: None }) => {
                if state.stall_log(j, v) {
                    ok(json!({ "stalled": true }))
                } else {
                    error(shared, StatusCode::NOT_FOUND, format!("no version {v} of job {j}"))
                }
            }
            Ok(StallTarget { job_id: None, version_id: None, training_job_id: Some(id) }) => {
                if state.stall_v2_log(&id) {
                    ok(json!({ "stalled": true }))
                } else {
                    error(shared, StatusCode::NOT_FOUND, format!("no v2 job {id}"))
                }
            }
            Ok(_) => bad("expected {\"job_id\",\"version_id\"} or {\"training_job_id\"}".into()),
            Err(e) => bad(format!("invalid stall target: {e}")),
        },
        (&Method::POST, "/reset") => {
            state.reset();
            ok(json!({ "reset": true }))
        }
        (&Method::GET, "/faults") => ok(json!({ "faults": state.faults() })),
        (&Method::POST, "/faults") => match parse_scripts(&body) {
            Ok(scripts) => {
                let n = scripts.len();
                for script in scripts {
                    // Already validated by parse_scripts.
                    if let Err(e) = state.add_faults(script) {
                        return bad(e);
                    }
                }
                ok(json!({ "added": n, "faults": state.faults() }))
            }
            Err(e) => bad(e),
        },
        (&Method::DELETE, "/faults") => {
            state.clear_faults();
            ok(json!({ "faults": [] }))
        }
        (&Method::GET, "/throttle") => ok(json!({ "throttle": state.throttle() })),
        (&Method::POST, "/throttle") => match serde_json::from_slice::<Option<ThrottleSettings>>(&body) {
            Ok(Some(t)) if t.rps == 0 => bad("rps must be at least 1".into()),
            Ok(t) => {
                state.set_throttle(t);
                ok(json!({ "throttle": state.throttle() }))
            }
            Err(e) => bad(format!("invalid throttle settings: {e}")),
        },
        (&Method::DELETE, "/throttle") => {
            state.set_throttle(None);
            ok(json!({ "throttle": null }))
        }
        (&Method::GET, "/clock") => ok(clock(&state)),
        (&Method::POST, "/clock") => match serde_json::from_slice::<ClockUpdate>(&body) {
            Ok(update) => {
                if let Some(ms) = update.offset_ms {
                    state.set_clock_offset_ms(ms);
                }
                if let Some(secs) = update.offset_secs {
                    state.set_clock_offset_ms(secs.saturating_mul(1000));
                }
                if let Some(ms) = update.advance_ms {
                    state.set_clock_offset_ms(state.clock_offset_ms().saturating_add(ms));
                }
                ok(clock(&state))
            }
            Err(e) => bad(format!("invalid clock update: {e}")),
        },
        (&Method::GET, "/settings") => ok(json!(state.settings())),
        (&Method::POST, "/settings") => match serde_json::from_slice::<SettingsPatch>(&body) {
            Ok(patch) => ok(json!(state.patch_settings(patch))),
            Err(e) => bad(format!("invalid settings: {e}")),
        },
        (&Method::GET, "/journal") => {
            let route: Option<Route> =
                query_value(query, "route").and_then(|r| serde_json::from_value(json!(r)).ok());
            let job_id = query_value(query, "job_id").and_then(|v| v.parse::<u64>().ok());
            let version_id = query_value(query, "version_id").and_then(|v| v.parse::<u64>().ok());
            let training_job_id = query_value(query, "training_job_id").map(|v| v.to_ascii_lowercase());
            let entries: Vec<_> = state
                .journal()
                .into_iter()
                .filter(|e| route.is_none_or(|r| e.route == r))
                .filter(|e| job_id.is_none_or(|j| e.job_id == Some(j)))
                .filter(|e| version_id.is_none_or(|v| e.version_id == Some(v)))
                .filter(|e| training_job_id.as_ref().is_none_or(|t| e.training_job_id.as_ref() == Some(t)))
                .collect();
            ok(json!({ "dropped": state.journal_dropped(), "entries": entries }))
        }
        (&Method::DELETE, "/journal") => {
            state.clear_journal();
            ok(json!({ "entries": [] }))
        }
        (
            _,
            "/jobs" | "/v2/jobs" | "/reset" | "/faults" | "/throttle" | "/clock" | "/settings" | "/journal",
        ) => error(shared, StatusCode::METHOD_NOT_ALLOWED, "method not allowed on this admin route"),
        _ => error(
            shared,
            StatusCode::NOT_FOUND,
            "unknown admin route; see /__emulator/{jobs,v2/jobs,reset,faults,throttle,clock,settings,journal}",
        ),
    }
}

/// Whether a peer may use the admin API (IPv4-mapped IPv6 loopback counts).
fn is_loopback_peer(ip: std::net::IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

fn clock(state: &StateHandle) -> Value {
    json!({ "offset_ms": state.clock_offset_ms(), "now_ms": to_ms(state.now()) })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_peers_are_admins() {
        let cases = [
            ("127.0.0.1", true),
            ("127.9.9.9", true),
            ("::1", true),
            ("::ffff:127.0.0.1", true),
            ("192.0.2.2", false),
            ("::ffff:192.0.2.2", false),
            ("fd00::2", false),
            ("0.0.0.0", false),
        ];
        for (ip, expected) in cases {
            assert_eq!(
                super::is_loopback_peer(ip.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into())),
                expected,
                "{ip}"
            );
        }
    }
}
