//! Opening the files a configuration names (credentials, regions, token files, caches) without
//! hanging on one that is not a file: opened non-blocking (a FIFO with no writer would block the
//! open itself), then checked with `fstat` on the handle (never a second look-up by name, which a
//! swap could defeat). Symlinks are followed: Kubernetes' projected token files are symlinks.

use std::fs::File;
use std::io;
use std::path::Path;

/// What a path is, for messages: `a directory`, `a FIFO (named pipe)`, …
fn kind(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
    }
    if file_type.is_dir() { "a directory" } else { "not a regular file" }
}

/// Opens `path` for reading, non-blocking, following symlinks; an error unless it is a regular
/// file (kind `InvalidInput`, saying what it is instead).
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed());
    }
    let file = options.open(path)?;
    let file_type = file.metadata()?.file_type();
    if !file_type.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind(file_type)),
        ));
    }
    Ok(file)
}

/// Opens `path` for reading (blocking: a pipe's writer may come later), following symlinks; an
/// error unless it is a regular file or a pipe (`--from-file <(grep …)`).
pub(crate) fn open_regular_or_pipe(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    let file_type = file.metadata()?.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return Ok(file);
        }
    }
    if !file_type.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file or a pipe", kind(file_type)),
        ));
    }
    Ok(file)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_open_and_a_fifo_never_hangs() {
        let dir = tempfile::tempdir().unwrap();
        let regular = dir.path().join("regular");
        std::fs::write(&regular, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&regular, &link).unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(open_regular(&regular).is_ok());
        assert!(open_regular(&link).is_ok(), "symlinks are followed");
        for (path, what) in [(&fifo, "a FIFO"), (&dir.path().to_path_buf(), "a directory")] {
            let e = open_regular(path).unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(what), "{e}");
        }
        let dev = open_regular(Path::new("/dev/null")).unwrap_err();
        assert!(dev.to_string().contains("a device"), "{dev}");
        assert!(open_regular_or_pipe(&regular).is_ok());
        assert!(open_regular_or_pipe(Path::new("/dev/null")).is_err());
    }
}
