//! Generated files: `docs/cli.md` (checked by `cargo xtask ci`) and the `dist` artefacts.

use std::fs;

use crate::process::{cargo, exec, root, target_dir};

pub(crate) fn run(check: bool) -> Result<(), String> {
    let path = root().join("docs/cli.md");
    let fresh = modelarts_cli::docs::markdown();
    let current = fs::read_to_string(&path).unwrap_or_default();
    if current == fresh {
        eprintln!("docs/cli.md is up to date");
        return Ok(());
    }
    if check {
        return Err("docs/cli.md is out of date: run `cargo xtask codegen`".into());
    }
    fs::write(&path, fresh).map_err(|e| format!("writing {}: {e}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

pub(crate) fn dist() -> Result<(), String> {
    exec(cargo().args(["build", "--release", "-p", "modelarts-cli", "-p", "modelarts-emulator"]))?;
    let dist = target_dir().join("dist");
    let completions = dist.join("completions");
    fs::create_dir_all(&completions).map_err(|e| e.to_string())?;
    // One man page per command and subcommand: modelarts.1, modelarts-training-job-stop.1, …
    let man = dist.join("man");
    fs::create_dir_all(&man).map_err(|e| e.to_string())?;
    let pages =
        modelarts_cli::docs::write_man_pages(&man).map_err(|e| format!("writing the man pages: {e}"))?;
    eprintln!("wrote {} man pages into {}", pages.len(), man.display());
    for &shell in <clap_complete::Shell as clap::ValueEnum>::value_variants() {
        let mut buffer = Vec::new();
        modelarts_cli::docs::completions(shell, &mut buffer);
        fs::write(completions.join(format!("modelarts.{shell}")), buffer).map_err(|e| e.to_string())?;
    }
    for binary in ["modelarts", "modelarts-emulator"] {
        fs::copy(target_dir().join("release").join(binary), dist.join(binary))
            .map_err(|e| format!("copying {binary}: {e}"))?;
    }
    eprintln!("wrote {}", dist.display());
    Ok(())
}
