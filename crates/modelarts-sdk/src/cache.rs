//! The identity caches: project ids and IAM tokens, in process and on disk under the user's cache
//! directory (`$XDG_CACHE_HOME/modelarts/`, else `~/.cache/modelarts/`).
//!
//! The directory is created with mode 0700 and every file is written with mode 0600 (through a
//! temporary file of a random name, created new (`O_EXCL`: never through a planted link), renamed
//! into place, and removed on any failure). A directory that belongs to another user, or that
//! group or others may write to, is not used at all (one warning; the client goes on without a
//! cache); one that others may only read is tightened to 0700. A cache file that is not a regular
//! file, or belongs to another user, is skipped with a warning. A relative `XDG_CACHE_HOME` is
//! ignored, as the XDG spec says. The project file holds no secret: its key is the
//! credential's identity (the access key or `user@domain`, never a secret key or password), the
//! region and the IAM endpoint. The token file holds IAM tokens, which are secrets: it is only
//! ever written 0600, and no token is ever logged. A cache that cannot be read or written is
//! skipped with a warning: it never fails a call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

use modelarts_protocol::ids::ProjectId;
use serde::{Deserialize, Serialize};

/// The project-id cache file's name.
pub(crate) const PROJECTS_FILE: &str = "projects.json";
/// The token cache file's name.
pub(crate) const TOKENS_FILE: &str = "tokens.json";
/// Entries kept per file at most (the oldest go first).
const MAX_ENTRIES: usize = 256;
/// The most bytes read from a cache file.
const MAX_CACHE_BYTES: u64 = 1 << 20;

/// Where a project id is cached: the credential's identity (never a secret), the region and the
/// IAM endpoint asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ProjectKey {
    pub(crate) identity: String,
    pub(crate) region: String,
    pub(crate) iam: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ProjectEntry {
    #[serde(flatten)]
    key: ProjectKey,
    project_id: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProjectFile {
    #[serde(default)]
    projects: Vec<ProjectEntry>,
}

/// A cached token: secret. `Debug` hides it.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct TokenEntry {
    /// `user@domain`, the scope and the IAM endpoint.
    pub(crate) key: String,
    pub(crate) token: String,
    /// Seconds since the epoch.
    pub(crate) expires_at: u64,
    #[serde(default)]
    pub(crate) project_id: Option<String>,
}

impl std::fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenEntry")
            .field("key", &self.key)
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokenFile {
    #[serde(default)]
    tokens: Vec<TokenEntry>,
}

fn process_projects() -> &'static Mutex<HashMap<ProjectKey, ProjectId>> {
    static CACHE: OnceLock<Mutex<HashMap<ProjectKey, ProjectId>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The identity caches of one client: the process-wide project table, and the files under `dir`
/// (none when no cache directory is known or caching is off).
#[derive(Debug, Clone)]
pub(crate) struct IdentityCache {
    pub(crate) dir: Option<PathBuf>,
}

impl IdentityCache {
    /// The project id cached for `key`: in process, else on disk (then kept in process too).
    pub(crate) fn project(&self, key: &ProjectKey) -> Option<(ProjectId, &'static str)> {
        if let Some(id) = process_projects().lock().unwrap_or_else(PoisonError::into_inner).get(key) {
            return Some((id.clone(), "process cache"));
        }
        let file: ProjectFile = self.read(PROJECTS_FILE)?;
        let id = file
            .projects
            .into_iter()
            .find(|e| e.key == *key)
            .and_then(|e| ProjectId::new(&e.project_id).ok())?;
        process_projects().lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), id.clone());
        Some((id, "disk cache"))
    }

    /// Keeps a project id in process and on disk.
    pub(crate) fn store_project(&self, key: &ProjectKey, id: &ProjectId) {
        process_projects().lock().unwrap_or_else(PoisonError::into_inner).insert(key.clone(), id.clone());
        if self.dir.is_none() {
            return;
        }
        let mut file: ProjectFile = self.read(PROJECTS_FILE).unwrap_or_default();
        file.projects.retain(|e| e.key != *key);
        file.projects.push(ProjectEntry { key: key.clone(), project_id: id.as_str().to_owned() });
        let excess = file.projects.len().saturating_sub(MAX_ENTRIES);
        file.projects.drain(..excess);
        self.write(PROJECTS_FILE, &file);
    }

    /// The cached token for `key`, if any (fresh or not: the caller decides).
    pub(crate) fn token(&self, key: &str) -> Option<TokenEntry> {
        let file: TokenFile = self.read(TOKENS_FILE)?;
        file.tokens.into_iter().find(|e| e.key == key)
    }

    /// Keeps a token on disk (mode 0600), dropping expired ones.
    pub(crate) fn store_token(&self, entry: TokenEntry, now: SystemTime) {
        if self.dir.is_none() {
            return;
        }
        let now_secs = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut file: TokenFile = self.read(TOKENS_FILE).unwrap_or_default();
        file.tokens.retain(|e| e.key != entry.key && e.expires_at > now_secs);
        file.tokens.push(entry);
        let excess = file.tokens.len().saturating_sub(MAX_ENTRIES);
        file.tokens.drain(..excess);
        self.write(TOKENS_FILE, &file);
    }

    fn read<F: serde::de::DeserializeOwned>(&self, name: &str) -> Option<F> {
        let dir = self.dir.as_ref()?;
        if !dir.exists() || !trusted_dir(dir) {
            return None;
        }
        let path = dir.join(name);
        let bytes = match open_own_regular(&path)
            .and_then(|f| crate::resolve::read_limited(f, MAX_CACHE_BYTES))
        {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), "cannot read the identity cache, skipping it: {e}");
                return None;
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(file) => Some(file),
            Err(_) => {
                tracing::warn!(path = %path.display(), "the identity cache is garbled; it will be rewritten");
                None
            }
        }
    }

    fn write<F: Serialize>(&self, name: &str, file: &F) {
        let Some(dir) = &self.dir else { return };
        if let Err(e) = create_private_dir(dir) {
            tracing::warn!(path = %dir.display(), "cannot create the identity cache directory: {e}");
            return;
        }
        if !trusted_dir(dir) {
            return;
        }
        if let Err(e) = write_private(dir, name, file) {
            tracing::warn!(path = %dir.join(name).display(), "cannot write the identity cache: {e}");
        }
    }
}

/// Opens a cache file: a regular file (non-blocking open, `fstat` on the handle) that belongs to
/// this user.
fn open_own_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let file = crate::files::open_regular(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if file.metadata()?.uid() != rustix::process::geteuid().as_raw() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "it belongs to another user",
            ));
        }
    }
    Ok(file)
}

/// Whether the cache directory may be used: it must belong to this user and be writable by no
/// one else (else one warning per process, and no cache); one that others may read is tightened
/// to 0700.
fn trusted_dir(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        let refuse = |why: String| {
            if !WARNED.swap(true, std::sync::atomic::Ordering::AcqRel) {
                tracing::warn!(path = %dir.display(), "not using the identity cache: {why}");
            }
            false
        };
        let meta = match std::fs::metadata(dir) {
            Ok(meta) => meta,
            Err(e) => return refuse(format!("cannot inspect the directory: {e}")),
        };
        if !meta.is_dir() {
            return refuse("it is not a directory".to_owned());
        }
        let euid = rustix::process::geteuid().as_raw();
        if meta.uid() != euid {
            return refuse(format!("the directory belongs to uid {}, not to this user ({euid})", meta.uid()));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o022 != 0 {
            return refuse(format!("the directory's mode {mode:o} lets others write to it"));
        }
        if mode & 0o077 != 0
            && let Err(e) = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        {
            return refuse(format!("cannot make the directory private (mode 700): {e}"));
        }
    }
    true
}

/// Writes `value` as JSON to `dir/name` with mode 0600: a new temporary file of a random name in
/// `dir` (created with `O_EXCL`, so never through a link planted at its name), renamed into place;
/// on any failure the temporary file is removed.
fn write_private<F: Serialize>(dir: &Path, name: &str, value: &F) -> std::io::Result<()> {
    use std::io::Write as _;
    let bytes = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    // tempfile creates the file new (O_CREAT | O_EXCL), mode 0600, and deletes it when dropped.
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).map(drop).map_err(|e| e.error)
}

/// Creates `dir` (and its parents) with mode 0700 when it does not exist; an existing one is left
/// to [`trusted_dir`].
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}
