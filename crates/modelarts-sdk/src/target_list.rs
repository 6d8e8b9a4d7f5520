//! Reading the list of targets a batch stops (the command line's `stop --from-file`): a regular
//! file or a pipe, at most [`MAX_TARGET_LIST_BYTES`], UTF-8 text, one target a line for
//! [`JobRef::parse_line`](modelarts_protocol::target::JobRef::parse_line). It never hangs on a path
//! that is neither (a directory, a device), and never quotes the file in an error.

use std::io;
use std::path::Path;

use crate::resolve::{TextFileError, decode_text_file, read_limited};

/// The most bytes read from a target list: about 500,000 lines, far more jobs than an account
/// holds.
pub const MAX_TARGET_LIST_BYTES: u64 = 16 << 20;

/// Why a target list could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetListError {
    /// The list could not be opened or read: missing, not a regular file or a pipe, unreadable, or
    /// larger than [`MAX_TARGET_LIST_BYTES`] (kind `FileTooLarge`). The source says which.
    #[error("the target list cannot be read")]
    Unreadable(#[source] io::Error),
    /// The list is not UTF-8 text (UTF-16, NUL bytes, a legacy encoding).
    #[error("the target list is not UTF-8 text")]
    NotText(#[source] TextFileError),
}

/// Reads the target list at `path`: a regular file or a pipe (`--from-file <(grep …)`), symlinks
/// followed. Blocks until a pipe's writer closes it: call it off an async runtime's threads.
///
/// ```
/// use modelarts_sdk::{TargetListError, read_target_list};
///
/// let dir = std::env::temp_dir();
/// let err = read_target_list(&dir).unwrap_err();
/// assert!(matches!(err, TargetListError::Unreadable(_)));
/// ```
pub fn read_target_list(path: &Path) -> Result<String, TargetListError> {
    let bytes = crate::files::open_regular_or_pipe(path)
        .and_then(|file| read_limited(file, MAX_TARGET_LIST_BYTES))
        .map_err(TargetListError::Unreadable)?;
    decode_text_file(bytes).map_err(TargetListError::NotText)
}

/// Reads a target list from `reader` (standard input, for `--from-file -`), with the same limit
/// and checks as [`read_target_list`].
///
/// ```
/// use modelarts_sdk::{TargetListError, TextFileError, read_target_list_from};
///
/// assert_eq!(read_target_list_from(&b"10 20\n"[..]).unwrap(), "10 20\n");
/// let err = read_target_list_from(&[b'1', b'\n', 0xE9][..]).unwrap_err();
/// assert!(matches!(err, TargetListError::NotText(TextFileError::NotUtf8 { line: 2 })));
/// ```
pub fn read_target_list_from(reader: impl io::Read) -> Result<String, TargetListError> {
    let bytes = read_limited(reader, MAX_TARGET_LIST_BYTES).map_err(TargetListError::Unreadable)?;
    decode_text_file(bytes).map_err(TargetListError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded() {
        let err = read_limited(io::repeat(0), 1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert_eq!(err.to_string(), "it is larger than 1 MiB, the limit for this file");
        assert_eq!(read_limited(&b"10 20\n"[..], 6).unwrap(), b"10 20\n");
        let Err(TargetListError::Unreadable(err)) = read_target_list_from(io::repeat(b'1')) else {
            panic!("an endless list must be refused");
        };
        assert_eq!(err.to_string(), "it is larger than 16 MiB, the limit for this file");
    }

    #[test]
    fn lists_are_text() {
        assert!(decode_text_file(b"ok\n".to_vec()).is_ok());
        assert_eq!(decode_text_file(vec![b'a', b'\n', 0xE9]), Err(TextFileError::NotUtf8 { line: 2 }));
        let utf16 = [0xFF, 0xFE, b'1', 0].to_vec();
        assert!(matches!(
            read_target_list_from(&utf16[..]),
            Err(TargetListError::NotText(TextFileError::Utf16))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn files_and_pipes_are_read_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("list");
        std::fs::write(&list, "10 20\n").unwrap();
        assert_eq!(read_target_list(&list).unwrap(), "10 20\n");
        for path in [dir.path(), Path::new("/dev/null")] {
            let Err(TargetListError::Unreadable(err)) = read_target_list(path) else { panic!("{path:?}") };
            assert!(err.to_string().contains("not a regular file or a pipe"), "{err}");
        }
    }
}
