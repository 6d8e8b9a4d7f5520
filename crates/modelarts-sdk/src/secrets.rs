//! The secrets this process holds (secret keys, security tokens, IAM tokens, passwords, pod and ID
//! tokens), remembered so that any text about to be shown can be masked: a server that echoes the
//! `X-Auth-Token` or `Authorization` it received in an error message must not put it on a screen
//! or in a log.
//!
//! The SDK remembers every secret it resolves or obtains (a login's token, temporary keys, a
//! renewal's); a program shows text through [`mask`] (data), [`mask_echo`] (errors, warnings and
//! logs: also any 64-hex-digit run, the shape of a request signature) or [`mask_header_value`]
//! (an echoed header value: also the virtual MFA code, which is only six digits and would mask job
//! text anywhere else).
//!
//! A secret of [`WINDOW`] characters or more is also masked when any [`WINDOW`]-character piece of
//! it appears (a truncated echo); shorter ones are masked where they appear whole, from
//! [`MIN_SECRET`] characters (a shorter one would mask ordinary words). `Signature=…` values are
//! always masked.
//!
//! ```
//! modelarts_sdk::secrets::remember("an-example-secret-key-0123456789");
//! let shown = modelarts_sdk::secrets::mask("401: bad key an-example-secret-key-01234 (cut)");
//! assert_eq!(shown, "401: bad key **** (cut)");
//! ```

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::sync::{PoisonError, RwLock};

use modelarts_protocol::auth::Auth;

/// The mask shown instead of a secret.
pub const MASK: &str = "****";
/// A secret this long or longer is masked wherever a piece of this many characters appears.
pub const WINDOW: usize = 16;
/// Secrets shorter than this are not remembered (they would mask ordinary words).
pub const MIN_SECRET: usize = 6;
/// The most secrets remembered (the oldest are forgotten first; renewals add new ones).
const MAX_SECRETS: usize = 64;
/// The shortest run of hex digits [`mask_echo`] masks: an HMAC-SHA256 signature.
const SIGNATURE_HEX: usize = 64;

#[derive(Default)]
struct Registry {
    secrets: VecDeque<String>,
    windows: HashSet<[u8; WINDOW]>,
    mfa_codes: Vec<String>,
}

impl Registry {
    fn rebuild_windows(&mut self) {
        self.windows = self
            .secrets
            .iter()
            .filter(|s| s.len() >= WINDOW)
            .flat_map(|s| s.as_bytes().windows(WINDOW).filter_map(|w| <[u8; WINDOW]>::try_from(w).ok()))
            .collect();
    }
}

static REGISTRY: RwLock<Option<Registry>> = RwLock::new(None);

/// Remembers a secret, to be masked in every text shown from now on. Blank or short ones
/// (under [`MIN_SECRET`] characters) are ignored.
pub fn remember(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET {
        return;
    }
    let mut guard = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    let registry = guard.get_or_insert_with(Registry::default);
    if registry.secrets.iter().any(|s| s == secret) {
        return;
    }
    registry.secrets.push_back(secret.to_owned());
    if registry.secrets.len() > MAX_SECRETS {
        registry.secrets.pop_front();
        registry.rebuild_windows();
    } else if secret.len() >= WINDOW {
        let windows = secret.as_bytes().windows(WINDOW).filter_map(|w| <[u8; WINDOW]>::try_from(w).ok());
        registry.windows.extend(windows);
    }
}

/// Remembers a virtual MFA code: masked only by [`mask_header_value`].
pub fn remember_mfa_code(code: &str) {
    let code = code.trim();
    if code.is_empty() {
        return;
    }
    let mut guard = REGISTRY.write().unwrap_or_else(PoisonError::into_inner);
    let registry = guard.get_or_insert_with(Registry::default);
    if !registry.mfa_codes.iter().any(|c| c == code) {
        registry.mfa_codes.push(code.to_owned());
    }
}

/// Remembers the secrets of `auth`: the secret key and security token, or the token.
pub(crate) fn remember_auth(auth: &Auth) {
    match auth {
        Auth::AkSk(credentials) => {
            remember(credentials.secret_key());
            if let Some(token) = credentials.security_token() {
                remember(token);
            }
        }
        Auth::Token(token) => remember(token.expose()),
        _ => {}
    }
}

/// `text` with every remembered secret (and every `Signature=` value) masked.
pub fn mask(text: &str) -> Cow<'_, str> {
    mask_with(text, false, false)
}

/// [`mask`], and also every run of 64 or more hex digits: for errors, warnings and logs, where a
/// server may echo a request's signature.
pub fn mask_echo(text: &str) -> Cow<'_, str> {
    mask_with(text, true, false)
}

/// [`mask_echo`], and also the virtual MFA code: for a header value shown to a person.
pub fn mask_header_value(text: &str) -> Cow<'_, str> {
    mask_with(text, true, true)
}

fn mask_with(text: &str, hex_runs: bool, mfa: bool) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut hidden: Option<Vec<bool>> = None;
    let mut hide = |from: usize, to: usize| {
        let marks = hidden.get_or_insert_with(|| vec![false; bytes.len()]);
        for m in &mut marks[from..to.min(bytes.len())] {
            *m = true;
        }
    };
    {
        let guard = REGISTRY.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(registry) = guard.as_ref() {
            for secret in &registry.secrets {
                for (at, _) in text.match_indices(secret.as_str()) {
                    hide(at, at + secret.len());
                }
            }
            if !registry.windows.is_empty() && bytes.len() >= WINDOW {
                for (at, window) in bytes.windows(WINDOW).enumerate() {
                    if <[u8; WINDOW]>::try_from(window).is_ok_and(|w| registry.windows.contains(&w)) {
                        hide(at, at + WINDOW);
                    }
                }
            }
            if mfa {
                for code in &registry.mfa_codes {
                    for (at, _) in text.match_indices(code.as_str()) {
                        hide(at, at + code.len());
                    }
                }
            }
        }
    }
    for (at, _) in text.match_indices("Signature=") {
        let from = at + "Signature=".len();
        let len = bytes[from..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || b",;\"'&)]}".contains(b))
            .unwrap_or(bytes.len() - from);
        if len > 0 {
            hide(from, from + len);
        }
    }
    if hex_runs {
        let mut at = 0;
        while at < bytes.len() {
            let len = bytes[at..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if len >= SIGNATURE_HEX {
                hide(at, at + len);
            }
            at += len.max(1);
        }
    }
    let Some(hidden) = hidden else { return Cow::Borrowed(text) };
    let mut out = String::with_capacity(text.len());
    let mut in_mask = false;
    for (at, c) in text.char_indices() {
        // A character is hidden when any of its bytes is (a piece may end inside one).
        if hidden[at..at + c.len_utf8()].iter().any(|h| *h) {
            if !in_mask {
                out.push_str(MASK);
                in_mask = true;
            }
        } else {
            out.push(c);
            in_mask = false;
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry is the process's: these tests take turns.
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

    #[test]
    fn secrets_are_masked_whole_and_by_any_sixteen_character_piece() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let sk = "mask-test-secret-key-0123456789abcdefXYZ";
        remember(sk);
        remember("shortpw1");
        remember("abc");
        let cases = [
            (format!("the key {sk} was wrong"), "the key **** was wrong".to_owned()),
            (format!("echo: {}…", &sk[3..19]), "echo: ****…".to_owned()),
            (format!("echo: {}", &sk[20..35]), format!("echo: {}", &sk[20..35])),
            ("password shortpw1 refused".to_owned(), "password **** refused".to_owned()),
            ("abc is not remembered".to_owned(), "abc is not remembered".to_owned()),
            (
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0a1b2c, x".to_owned(),
                "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=****, x".to_owned(),
            ),
            ("ünïcödé stays".to_owned(), "ünïcödé stays".to_owned()),
        ];
        for (input, expected) in cases {
            assert_eq!(mask(&input), expected, "{input}");
        }
    }

    #[test]
    fn echoes_also_hide_signature_shaped_hex_and_headers_the_mfa_code() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let hex = "ab".repeat(32);
        assert_eq!(mask(&format!("sig {hex}")), format!("sig {hex}"));
        assert_eq!(mask_echo(&format!("sig {hex}.")), "sig ****.");
        assert_eq!(mask_echo(&"ab".repeat(20)), "ab".repeat(20), "a shorter run stays");
        remember_mfa_code("842913");
        assert_eq!(mask_echo("job 842913"), "job 842913", "job text keeps six digits");
        assert_eq!(mask_header_value("totp 842913"), "totp ****");
    }

    #[test]
    fn many_secrets_keep_the_newest() {
        let _turn = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        for i in 0..(MAX_SECRETS + 5) {
            remember(&format!("rotating-secret-number-{i:04}-padding"));
        }
        let newest = format!("rotating-secret-number-{:04}-padding", MAX_SECRETS + 4);
        assert_eq!(mask(&newest), MASK);
    }
}
