//! Generated files: `docs/cli.md` (checked by `cargo xtask ci`) and the `dist` artefacts.

use std::fs;
use std::path::{Path, PathBuf};

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
    archive(&dist, &pages, &completions)
}

/// The release archive for the host: the binary, the man pages, the completions, the README,
/// the changelog and the licences (see [`crate::release`]).
fn archive(dist: &Path, pages: &[PathBuf], completions: &Path) -> Result<(), String> {
    use crate::release::{Entry, host_target, write_archive};
    let version = modelarts_cli::command().get_version().unwrap_or("0.0.0").to_owned();
    let base = format!("modelarts-{version}-{}", host_target()?);
    let mut entries =
        vec![Entry { source: dist.join("modelarts"), name: "bin/modelarts".into(), executable: true }];
    for page in pages {
        let name = page.file_name().and_then(|n| n.to_str()).ok_or("a man page without a name")?;
        entries.push(Entry { source: page.clone(), name: format!("man/man1/{name}"), executable: false });
    }
    let mut scripts: Vec<PathBuf> = fs::read_dir(completions)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    scripts.sort();
    for script in scripts {
        let name =
            script.file_name().and_then(|n| n.to_str()).ok_or("a completion without a name")?.to_owned();
        entries.push(Entry { source: script, name: format!("completions/{name}"), executable: false });
    }
    for doc in ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"] {
        entries.push(Entry { source: root().join(doc), name: doc.to_owned(), executable: false });
    }
    let path = write_archive(dist, &base, &entries)?;
    eprintln!("wrote {} ({} files) and {}", path.display(), entries.len(), dist.join("SHA256SUMS").display());
    Ok(())
}
