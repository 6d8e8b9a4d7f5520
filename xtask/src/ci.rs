//! `cargo xtask ci`: the checks that keep main green.

use std::process::Command;

use crate::process::{cargo, exec, output};

/// Crates that do I/O and must not be in the protocol crate's normal dependency tree.
const IO_CRATES: &[&str] = &["tokio", "hyper", "hyper-util", "rustls", "mio", "socket2", "reqwest"];

pub(crate) fn run(no_test: bool) -> Result<(), String> {
    exec(cargo().args(["fmt", "--all", "--", "--check"]))?;
    exec(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    if !no_test {
        exec(cargo().args(["test", "--workspace"]))?;
    }
    exec(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    dependency_rules()?;
    crate::codegen::run(true)?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}

/// The protocol crate stays sans-IO; ring is the only crypto provider.
pub(crate) fn dependency_rules() -> Result<(), String> {
    let tree =
        output(cargo().args(["tree", "-p", "modelarts-protocol", "-e", "normal", "--prefix", "none"]))?;
    let offenders: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| IO_CRATES.contains(name))
        .collect();
    if !offenders.is_empty() {
        return Err(format!("modelarts-protocol depends on I/O crates: {offenders:?}"));
    }
    let mut inverse = cargo();
    inverse.args(["tree", "-i", "aws-lc-rs", "--workspace"]);
    let aws_lc = Command::output(&mut inverse).map_err(|e| e.to_string())?;
    if aws_lc.status.success() && !aws_lc.stdout.is_empty() {
        return Err("aws-lc-rs is in the dependency tree: use ring only".into());
    }
    eprintln!("dependency rules: protocol is sans-IO, ring is the only crypto provider");
    Ok(())
}
