//! Section 1, protocol cost: the criterion benches of `modelarts-protocol` vs the official Python
//! SDK's signer and deserialiser.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::process::{cargo, root, target_dir};

use super::Plan;
use super::measure::{measure, median};
use super::report::Report;
use super::tools::Tools;

const OPERATIONS: [(&str, &str); 3] = [
    ("stop_request/build_and_sign", "build + sign a stop request"),
    ("version_detail/parse", "parse a version detail (2 KB)"),
    ("job_list_100/parse", "parse a 100-job list page (17 KB)"),
];

/// (pair, operation, Rust ns, Python ns)
type ProtocolRow = (usize, &'static str, f64, f64);

pub(super) fn protocol_cost(
    plan: &Plan,
    tools: &Tools,
    work: &Path,
    report: &mut Report,
) -> Result<(), String> {
    eprintln!("bench: 1/7 protocol cost ({} criterion/Python pairs)", plan.protocol_pairs);
    let (warm_up, measure_secs) = plan.criterion_times;
    let criterion_args = [
        "bench".to_owned(),
        "-p".into(),
        "modelarts-protocol".into(),
        "--bench".into(),
        "protocol".into(),
        "--".into(),
        "--noplot".into(),
        "--warm-up-time".into(),
        warm_up.to_string(),
        "--measurement-time".into(),
        measure_secs.to_string(),
    ];
    let data = root().join("crates/modelarts-protocol/benches/data");
    let script = root().join("xtask/bench/protocol.py");
    let seconds = plan.python_seconds.to_string();
    let mut rows: Vec<ProtocolRow> = Vec::new();
    for pair in 0..plan.protocol_pairs {
        let mut bench = cargo();
        bench.args(&criterion_args);
        let log = measure(&mut bench, false, work)?;
        fs::write(work.join(format!("criterion-{pair}.log")), &log.stdout).map_err(|e| e.to_string())?;
        let mut rust = BTreeMap::new();
        for (id, _) in OPERATIONS {
            // criterion names the directory after the id with `/` replaced by `_`.
            let path = target_dir().join("criterion").join(id.replace('/', "_")).join("new/estimates.json");
            let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let ns = value["median"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{} has no median", path.display()))?;
            rust.insert(id, ns);
        }
        let mut py = Command::new(&tools.python);
        py.arg(&script)
            .arg(data.join("version_detail.json"))
            .arg(data.join("job_list_100.json"))
            .arg(&seconds)
            .env("HOME", work.join("home"));
        let out = measure(&mut py, false, work)?;
        let value: Value = serde_json::from_str(out.stdout.trim())
            .map_err(|e| format!("protocol.py printed {:?}: {e}", out.stdout))?;
        for (id, _) in OPERATIONS {
            let python = value[id].as_f64().ok_or_else(|| format!("protocol.py gave no {id}"))?;
            rows.push((pair + 1, id, rust[id], python));
        }
    }
    let mut s = String::new();
    let _ = writeln!(s, "## 1. Protocol cost (no I/O)\n");
    let _ = writeln!(
        s,
        "Rust: `{}` (criterion; the median of its samples, read from \
         `target/criterion/<bench_id>/new/estimates.json`). Python: `.venv/bin/python xtask/bench/protocol.py \
         crates/modelarts-protocol/benches/data/version_detail.json …/job_list_100.json {seconds}` (median \
         of 5 `timeit` repeats). The two alternate, {} pairs.\n",
        format_args!("cargo {}", criterion_args.join(" ")),
        plan.protocol_pairs
    );
    let _ = writeln!(
        s,
        "Python side: build + sign is `SdkRequest(...)` for the same POST \
         `https://modelarts.cn-north-4.myhuaweicloud.com/v1/0123…/training-jobs/10/versions/10/stop` with the same \
         headers, then `huaweicloudsdkcore.signer.signer.Signer(credentials).sign(request)` (the SDK takes the \
         time itself with `datetime.utcnow()`; the Rust bench passes a fixed time). Parsing is the SDK's own \
         response path, `client.deserialize(response, Type, None)`: `json.loads(…, parse_float=Decimal)` (the \
         SDK imports simplejson) then `_deserialize` into typed model classes whose `openapi_types` mirror the \
         fields of the same JSON files (the SDK ships no v1 training-job models, so the script defines them in \
         the generated models' shape). The same bytes are parsed on both sides.\n"
    );
    let _ = writeln!(s, "| pair | operation | Rust (µs) | Python (µs) | Python / Rust |");
    let _ = writeln!(s, "|---:|---|---:|---:|---:|");
    for (pair, id, rust, python) in &rows {
        let _ = writeln!(
            s,
            "| {pair} | `{id}` | {:.2} | {:.1} | {:.0}× |",
            rust / 1e3,
            python / 1e3,
            python / rust
        );
    }
    let _ = writeln!(s, "\n**Medians**\n");
    let _ =
        writeln!(s, "| operation | Rust (µs) | Python (µs) | Python / Rust (median of the pairs' ratios) |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for (id, what) in OPERATIONS {
        let of = |f: &dyn Fn(&ProtocolRow) -> f64| -> f64 {
            median(&rows.iter().filter(|r| r.1 == id).map(f).collect::<Vec<_>>())
        };
        let rust = of(&|r| r.2);
        let python = of(&|r| r.3);
        let ratio = of(&|r| r.3 / r.2);
        let _ = writeln!(s, "| {what} | {:.2} | {:.1} | **{ratio:.0}×** |", rust / 1e3, python / 1e3);
        report.summary.push((format!("protocol: {what}"), format!("Python/Rust {ratio:.0}×"), String::new()));
    }
    s.push('\n');
    report.sections.push(s);
    Ok(())
}
