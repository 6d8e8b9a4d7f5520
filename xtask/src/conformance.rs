//! `cargo xtask conformance`: the official Huawei Python SDK (`huaweicloudsdkcore`,
//! `huaweicloudsdkmodelarts`, pinned) signs requests that our emulator verifies, with signatures
//! enforced, over plain HTTP and over HTTPS trusting the emulator's CA: the v1 calls through the
//! generic `call_api`, and the SDK's typed v2 calls (stop, show, list), whose answers must
//! deserialise into the SDK's own response models.

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use crate::emulator::EmulatorProcess;
use crate::process::{cargo, exec, root, target_dir};

/// The pinned versions of the official SDK.
const PACKAGES: &[&str] = &["huaweicloudsdkcore==3.1.219", "huaweicloudsdkmodelarts==3.1.219"];

/// Creates `.venv` with the official SDK if it is missing; returns its python.
pub(crate) fn venv_python() -> Result<PathBuf, String> {
    let venv = root().join(".venv");
    let python = venv.join("bin/python");
    let ready = python.exists()
        && Command::new(&python)
            .args(["-c", "import huaweicloudsdkcore, huaweicloudsdkmodelarts"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ready {
        let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        exec(Command::new(&system).args(["-m", "venv"]).arg(&venv))?;
        exec(
            Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
                .args(PACKAGES),
        )?;
    }
    Ok(python)
}

pub(crate) fn run() -> Result<(), String> {
    let python = venv_python()?;
    exec(cargo().args(["build", "-p", "modelarts-emulator"]))?;
    let binary = target_dir().join("debug/modelarts-emulator");
    let work = target_dir().join("conformance");
    fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let script = root().join("xtask/conformance/official_sdk.py");
    for tls in [false, true] {
        let ca = work.join("ca.pem");
        // The emulator refuses to overwrite a file: clear the previous run's CA.
        let _ = fs::remove_file(&ca);
        let ca_arg = ca.to_string_lossy().into_owned();
        let mut args = vec![
            "--auth",
            "enforce",
            "--jobs",
            "2",
            "--v2-jobs",
            "2",
            "--kill-after",
            "1s",
            "--log-level",
            "warn",
        ];
        if tls {
            args.extend(["--tls", "--ca-out", &ca_arg]);
        }
        let emulator = EmulatorProcess::start(&binary, &args)?;
        // The start line holds the emulator's keys: hand it over on stdin, not on the echoed command line.
        let start_line = work.join("emulator.json");
        fs::write(&start_line, emulator.info.to_string()).map_err(|e| e.to_string())?;
        let stdin = fs::File::open(&start_line).map_err(|e| e.to_string())?;
        // The SDK writes ~/.huaweicloud/application_id on import: give it a scratch home.
        exec(
            Command::new(&python)
                .arg(&script)
                .stdin(stdin)
                .env("HOME", &work)
                .env_remove("HUAWEICLOUD_SDK_AK")
                .env_remove("HUAWEICLOUD_SDK_SK"),
        )?;
        drop(emulator);
        eprintln!("conformance over {}: ok", if tls { "HTTPS" } else { "HTTP" });
    }
    Ok(())
}
