//! The rustls client configuration: the `ring` provider (never installed process-wide), trust
//! roots (webpki + the system's + an optional CA bundle file), or, when asked, no verification.
//!
//! This module must never install a global crypto provider or silently weaken verification:
//! `insecure` always logs a warning.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::TransportConfig;
use crate::error::{BuildError, Reason};

/// Environment variables naming an extra CA bundle, in order of precedence (after the config).
/// Application-specific variables are the caller's to read (the SDK reads its own and sets
/// [`TransportConfig::ca_bundle`]).
pub(crate) const CA_BUNDLE_ENV_VARS: [&str; 1] = ["SSL_CERT_FILE"];

/// Builds the TLS client configuration (without ALPN, which hyper-rustls sets).
pub(crate) fn client_config(
    config: &TransportConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ClientConfig, BuildError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| BuildError::Tls { source: Box::new(e) })?;

    // Load the bundle even in insecure mode: a bad path is a configuration error either way.
    let extra = match resolve_ca_bundle(config.ca_bundle.as_deref(), env) {
        Some(path) => load_ca_bundle(&path)?,
        None => Vec::new(),
    };

    if config.insecure {
        tracing::warn!(
            "TLS certificate verification is DISABLED for this transport (insecure = true): \
             any server certificate is accepted and connections can be intercepted"
        );
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyServerCertificate { provider }))
            .with_no_client_auth());
    }

    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let native = rustls_native_certs::load_native_certs();
    let (added, ignored) = roots.add_parsable_certificates(native.certs);
    tracing::debug!(added, ignored, errors = native.errors.len(), "loaded the system's root certificates");
    for cert in extra {
        // Already checked to parse in `load_ca_bundle`.
        roots.add(cert).map_err(|e| BuildError::Tls { source: Box::new(e) })?;
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// The CA bundle to add: the configured one, else the first set environment variable.
pub(crate) fn resolve_ca_bundle(
    configured: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Option<PathBuf> {
    if let Some(path) = configured {
        return Some(path.to_owned());
    }
    CA_BUNDLE_ENV_VARS
        .iter()
        .filter_map(|name| env(name))
        .find(|value| !value.trim().is_empty())
        .map(PathBuf::from)
}

/// The most bytes read from a CA bundle (a bundle of every public root is about 250 KiB).
pub const MAX_CA_BUNDLE_BYTES: u64 = 1 << 20;

/// Reads every certificate of a PEM file; an unreadable, empty, invalid or oversized (over
/// [`MAX_CA_BUNDLE_BYTES`]) file is an error.
pub(crate) fn load_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| BuildError::CaBundle {
        path: path.to_owned(),
        source,
    };
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_BUNDLE_BYTES + 1).read_to_end(&mut pem))
        .map_err(|e| fail(Box::new(e)))?;
    if pem.len() as u64 > MAX_CA_BUNDLE_BYTES {
        return Err(fail(Box::new(Reason(
            "the file is larger than 1 MiB, the limit for a CA bundle".into(),
        ))));
    }
    let certs =
        CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>().map_err(|e| fail(Box::new(e)))?;
    if certs.is_empty() {
        return Err(fail(Box::new(Reason("the file holds no PEM certificate".into()))));
    }
    // Check each certificate now, so the error names the file rather than a TLS failure later.
    let mut probe = RootCertStore::empty();
    for cert in &certs {
        probe.add(cert.clone()).map_err(|e| fail(Box::new(e)))?;
    }
    Ok(certs)
}

/// Accepts any certificate chain, but still checks that the server holds the key of the
/// certificate it presented (handshake signatures), using the same `ring` provider.
#[derive(Debug)]
struct AcceptAnyServerCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_bundle_precedence_table() {
        let ssl = |name: &str| (name == "SSL_CERT_FILE").then(|| "/env/ssl.pem".to_owned());
        let blank = |name: &str| (name == "SSL_CERT_FILE").then(|| " ".to_owned());
        // Any other variable (an application's own, e.g. the SDK's) is not the transport's.
        let other = |name: &str| (name != "SSL_CERT_FILE").then(|| "/env/other.pem".to_owned());
        let none = |_: &str| None;
        let configured = Path::new("/config.pem");

        assert_eq!(resolve_ca_bundle(Some(configured), ssl), Some(PathBuf::from("/config.pem")));
        assert_eq!(resolve_ca_bundle(None, ssl), Some(PathBuf::from("/env/ssl.pem")));
        assert_eq!(resolve_ca_bundle(None, blank), None);
        assert_eq!(resolve_ca_bundle(None, other), None);
        assert_eq!(resolve_ca_bundle(None, none), None);
    }

    #[test]
    fn bad_ca_bundles_are_errors_naming_the_path() {
        let dir = std::env::temp_dir().join(format!("modelarts-transport-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").expect("write");
        let garbage = dir.join("garbage.pem");
        std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
            .expect("write");
        let missing = dir.join("missing.pem");

        for path in [&empty, &garbage, &missing] {
            let err = load_ca_bundle(path).expect_err("must be refused");
            assert!(matches!(err, BuildError::CaBundle { .. }), "{err:?}");
            assert!(err.to_string().contains(&path.display().to_string()), "{err}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
