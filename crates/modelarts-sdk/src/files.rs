//! Opening the files a configuration names (credentials, regions, token files, caches) without
//! hanging on one that is not a file: opened non-blocking (a FIFO with no writer would block the
//! open itself), then checked with `fstat` on the handle (never a second look-up by name, which a
//! swap could defeat). Symlinks are followed: Kubernetes' projected token files are symlinks. Then
//! read with a size limit ([`read_limited`]) and decoded as UTF-8 text ([`decode_text_file`]),
//! naming what is wrong but never quoting the file.

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

/// Reads all of `reader` up to `limit` bytes. Longer input (a huge file, `/dev/zero`, an endless
/// pipe) is an error of kind [`FileTooLarge`](std::io::ErrorKind::FileTooLarge) after reading at
/// most `limit + 1` bytes, so memory stays bounded (tested in `target_list`).
pub(crate) fn read_limited(reader: impl std::io::Read, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let shown = if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{limit} bytes")
        };
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("it is larger than {shown}, the limit for this file"),
        ));
    }
    Ok(bytes)
}

/// Why a file the user gave is not text this tool reads. The message never quotes the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextFileError {
    /// UTF-16 with a byte-order mark.
    #[error("is UTF-16; save it as UTF-8")]
    Utf16,
    /// NUL bytes: most likely UTF-16 without a byte-order mark.
    #[error("contains NUL bytes (UTF-16 without a byte-order mark?); save it as UTF-8")]
    Nul,
    /// A byte sequence that is not UTF-8, first on this line (from 1).
    #[error(
        "is not UTF-8: line {line} is not valid UTF-8 (Latin-1 or another legacy encoding?); save it as UTF-8"
    )]
    NotUtf8 {
        /// The line of the first invalid byte.
        line: usize,
    },
}

/// The text of a file the user gave (a credentials file, a list of versions to stop), or why it is
/// not UTF-8: UTF-16 is named, otherwise the first line with an invalid byte; never a value.
/// A UTF-8 byte-order mark is kept for the caller to skip.
pub(crate) fn decode_text_file(bytes: Vec<u8>) -> Result<String, TextFileError> {
    match String::from_utf8(bytes) {
        Ok(text) if text.contains('\0') => Err(TextFileError::Nul),
        Ok(text) => Ok(text),
        Err(e) if e.as_bytes().starts_with(&[0xFF, 0xFE]) || e.as_bytes().starts_with(&[0xFE, 0xFF]) => {
            Err(TextFileError::Utf16)
        }
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            Err(TextFileError::NotUtf8 { line: valid.iter().filter(|b| **b == b'\n').count() + 1 })
        }
    }
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn odd_encodings_are_named() {
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("[basic]".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert!(decode_text_file(utf16).unwrap_err().to_string().starts_with("is UTF-16"));
        let no_bom: Vec<u8> = "[basic]".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(decode_text_file(no_bom).unwrap_err().to_string().contains("NUL bytes"));
        let latin1 = b"[basic]\nak = x\nsk = caf\xe9\n".to_vec();
        let err = decode_text_file(latin1).unwrap_err().to_string();
        assert!(err.contains("line 3 is not valid UTF-8") && !err.contains("caf"), "{err}");
        assert_eq!(
            decode_text_file("\u{feff}[basic]\r\n".as_bytes().to_vec()).unwrap(),
            "\u{feff}[basic]\r\n"
        );
    }
}
