//! The release archive of `cargo xtask dist`: `modelarts-<version>-<target>.tar.gz` with the binary,
//! the man pages, the shell completions, the README and the licences under one directory, a
//! `SHA256SUMS` of those files inside it, and a `SHA256SUMS` of the archive beside it (both in the
//! format `sha256sum -c` reads).

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// One file of the archive: where it is, and its path inside the archive's directory.
pub(crate) struct Entry {
    pub(crate) source: PathBuf,
    pub(crate) name: String,
    pub(crate) executable: bool,
}

/// The SHA-256 of a file, in hex.
fn sha256(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    Ok(format!("{:x}", Sha256::digest(&bytes)))
}

/// Writes `<out_dir>/<base>.tar.gz` holding `entries` under `<base>/` and `<base>/SHA256SUMS`,
/// and `<out_dir>/SHA256SUMS` naming the archive. Returns the archive's path.
pub(crate) fn write_archive(out_dir: &Path, base: &str, entries: &[Entry]) -> Result<PathBuf, String> {
    let archive_path = out_dir.join(format!("{base}.tar.gz"));
    let file =
        File::create(&archive_path).map_err(|e| format!("creating {}: {e}", archive_path.display()))?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::best()));
    tar.mode(tar::HeaderMode::Deterministic);
    let mut sums = String::new();
    for entry in entries {
        sums.push_str(&format!("{}  {}\n", sha256(&entry.source)?, entry.name));
        let bytes =
            fs::read(&entry.source).map_err(|e| format!("reading {}: {e}", entry.source.display()))?;
        append(&mut tar, &format!("{base}/{}", entry.name), &bytes, entry.executable)?;
    }
    append(&mut tar, &format!("{base}/SHA256SUMS"), sums.as_bytes(), false)?;
    let encoder = tar.into_inner().map_err(|e| format!("writing the archive: {e}"))?;
    encoder.finish().map_err(|e| format!("writing the archive: {e}"))?.flush().map_err(|e| e.to_string())?;
    let outer = format!("{}  {base}.tar.gz\n", sha256(&archive_path)?);
    fs::write(out_dir.join("SHA256SUMS"), outer).map_err(|e| format!("writing SHA256SUMS: {e}"))?;
    Ok(archive_path)
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    bytes: &[u8],
    executable: bool,
) -> Result<(), String> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(if executable { 0o755 } else { 0o644 });
    header.set_mtime(0);
    header.set_cksum();
    tar.append_data(&mut header, path, bytes).map_err(|e| format!("adding {path}: {e}"))
}

/// The host's target triple (`rustc -vV`).
pub(crate) fn host_target() -> Result<String, String> {
    let out = crate::process::output(std::process::Command::new("rustc").arg("-vV"))?;
    out.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "rustc -vV names no host".to_owned())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_archive_holds_every_file_and_checksums_that_sha256sum_reads() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("modelarts");
        fs::write(&bin, b"#!/bin/sh\necho hi\n").unwrap();
        let readme = dir.path().join("README.md");
        fs::write(&readme, b"# readme\n").unwrap();
        let entries = [
            Entry { source: bin, name: "bin/modelarts".into(), executable: true },
            Entry { source: readme, name: "README.md".into(), executable: false },
        ];
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let archive = write_archive(&out, "modelarts-0.1.0-x86_64-unknown-linux-gnu", &entries).unwrap();

        let mut found = Vec::new();
        let mut inner_sums = String::new();
        let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(File::open(&archive).unwrap()));
        for entry in reader.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let mode = entry.header().mode().unwrap();
            if path.ends_with("SHA256SUMS") {
                entry.read_to_string(&mut inner_sums).unwrap();
            }
            found.push((path, mode));
        }
        let base = "modelarts-0.1.0-x86_64-unknown-linux-gnu";
        assert_eq!(
            found,
            [
                (format!("{base}/bin/modelarts"), 0o755),
                (format!("{base}/README.md"), 0o644),
                (format!("{base}/SHA256SUMS"), 0o644)
            ]
        );
        let want = format!("{:x}", Sha256::digest(b"# readme\n"));
        assert!(inner_sums.contains(&format!("{want}  README.md\n")), "{inner_sums}");
        let outer = fs::read_to_string(out.join("SHA256SUMS")).unwrap();
        assert_eq!(outer, format!("{}  {base}.tar.gz\n", sha256(&archive).unwrap()));
        // `sha256sum -c` agrees, where it is installed.
        if let Ok(check) =
            std::process::Command::new("sha256sum").arg("-c").arg("SHA256SUMS").current_dir(&out).output()
        {
            assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
        }
    }
}
