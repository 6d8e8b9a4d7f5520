//! `cargo xtask ci`: the checks that keep main green.

use crate::process::{cargo, exec};

pub(crate) fn run(no_test: bool) -> Result<(), String> {
    exec(cargo().args(["fmt", "--all", "--", "--check"]))?;
    exec(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    if no_test {
        // The architecture's invariants (dependency rules, sans-IO sources, API boundaries) are
        // the `tidy` tests; `cargo test --workspace` runs them otherwise.
        exec(cargo().args(["test", "-p", "xtask", "--test", "tidy"]))?;
    } else {
        exec(cargo().args(["test", "--workspace"]))?;
    }
    exec(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))?;
    crate::codegen::run(true)?;
    eprintln!("xtask ci: all checks passed");
    Ok(())
}
