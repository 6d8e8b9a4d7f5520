//! The next step after an error: what to check or change, as `hint:` lines under the message.
//!
//! [`for_error`] reads the SDK error alone (a certificate from an unknown issuer, a mistyped
//! region, rejected credentials); [`for_credentials`] adds what only the command knows: which
//! credential source was used and the clock skew measured from the server's answers.

use std::error::Error as StdError;

use modelarts_protocol::endpoint::EndpointError;
use modelarts_sdk::{Error as SdkError, ResolvedConfig, TlsRejection};

use crate::args::known_regions;

/// Hints that follow from the error itself.
pub(crate) fn for_error(error: &SdkError) -> Vec<String> {
    let mut hints = Vec::new();
    if let Some(region) = unknown_region(error) {
        hints.push(region_hint(&region));
    }
    if let SdkError::Transport { source, .. } = error
        && let Some(hint) = source.tls_rejection().and_then(tls_hint)
    {
        hints.push(hint.to_owned());
    }
    if matches!(error, SdkError::Credentials { .. }) {
        hints.push(
            "export HUAWEICLOUD_SDK_AK=YOUR_AK HUAWEICLOUD_SDK_SK=YOUR_SK (an IAM access key), or write them in \
             ~/.huaweicloud/credentials: a [basic] section with ak = … and sk = …"
                .to_owned(),
        );
    }
    if error.is_not_found() {
        hints.push(
            "to see the jobs there are: modelarts training-job list (both APIs; --search TEXT narrows by name)".to_owned(),
        );
    }
    // The gateway's own words, explained: a wrong key, an unknown or locked one (issue 22).
    if let Some(refusal) = error
        .api_error()
        .and_then(modelarts_protocol::iam::gateway::GatewayRefusal::of)
        .filter(|r| !r.retry_can_fix())
    {
        hints.push(refusal.explain());
    }
    if error.api_error().is_some_and(|a| a.is_auth() || a.http_status() == 401) {
        hints.push(
            "the service rejected the credentials or the signature: check that the AK/SK pair (or token) is \
             current and belongs to this account, and with temporary credentials that the security token \
             goes with them; `modelarts configure list` shows what is used"
                .to_owned(),
        );
    }
    hints
}

/// Hints for rejected credentials: the source used, and the clock skew when it is known.
pub(crate) fn for_credentials(resolved: Option<&ResolvedConfig>, skew_millis: Option<i64>) -> Vec<String> {
    let mut hints = Vec::new();
    if let Some(resolved) = resolved {
        let used = resolved
            .rows()
            .into_iter()
            .find(|(name, _, _)| *name == "access_key" || *name == "auth")
            .map(|(name, value, source)| format!("credentials used: {name} {value} from {source}"));
        if let Some(used) = used {
            hints.push(used);
        }
    }
    if let Some(skew) = skew_millis {
        let seconds = skew / 1000;
        let (direction, amount) = if seconds >= 0 { ("ahead of", seconds) } else { ("behind", -seconds) };
        let judgement = if amount > 5 * 60 {
            "(requests are signed with the server's time once it is known, but set this machine's clock \
             with NTP: the API refuses signatures more than 15 minutes off)"
        } else {
            "(within the 15 minutes a signature allows: the clock is not the cause)"
        };
        hints.push(format!(
            "clock skew: the server's clock is {amount}s {direction} this machine's, {judgement}"
        ));
    }
    hints
}

/// The region of an `unknown region` error, found in the cause chain.
fn unknown_region(error: &SdkError) -> Option<String> {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(EndpointError::UnknownRegion(region)) = e.downcast_ref::<EndpointError>() {
            return Some(region.clone());
        }
        next = e.source();
    }
    None
}

/// `did you mean …?` with the closest known region, and the list.
pub(crate) fn region_hint(region: &str) -> String {
    let regions = known_regions();
    let wanted = region.trim().to_ascii_lowercase();
    let closest = regions.iter().min_by_key(|r| strsim::levenshtein(&wanted, r)).copied();
    // The error above already lists the known regions: the hint says what to do, once.
    match closest {
        Some(c) if strsim::levenshtein(&wanted, c) <= 3 => format!("did you mean --region {c}?"),
        _ => "pick one of the known regions above, or give the endpoint with --endpoint-url".to_owned(),
    }
}

/// What to check after the TLS handshake rejected the server, by the transport's typed reason;
/// none for a reason it does not name (the error's cause chain says what it knows).
fn tls_hint(rejection: TlsRejection) -> Option<&'static str> {
    match rejection {
        TlsRejection::UnknownIssuer => Some(
            "the server's certificate comes from a CA this machine does not trust: behind a TLS-inspecting \
             proxy or with a private endpoint, pass that CA with --ca-bundle FILE (or MODELARTS_CA_BUNDLE); \
             check that --endpoint-url names the right host",
        ),
        TlsRejection::Expired | TlsRejection::NotYetValid => {
            Some("check this machine's clock, then the server's certificate dates")
        }
        TlsRejection::WrongHost => {
            Some("the certificate is for another host: check --endpoint-url or --region")
        }
        // `Other` and reasons added later: no remedy to suggest beyond the error itself.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_typos_get_the_closest_region() {
        assert!(region_hint("cn-nort-4").starts_with("did you mean --region cn-north-4?"));
        assert!(region_hint("eu-dee").starts_with("did you mean --region eu-de?"));
        assert!(region_hint("EU-DE ").starts_with("did you mean --region eu-de?"));
        let far = region_hint("mars");
        assert!(far.starts_with("pick one of the known regions above"), "{far}");
    }

    #[test]
    fn tls_rejections_get_their_remedy() {
        #[derive(Debug)]
        struct Rejected(Option<TlsRejection>);
        impl std::fmt::Display for Rejected {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // Words that once chose the hint: the typed reason alone decides now.
                f.write_str("UnknownIssuer expired NotValidForName")
            }
        }
        impl StdError for Rejected {}
        impl modelarts_sdk::SendError for Rejected {
            fn may_have_reached_server(&self) -> bool {
                false
            }
            fn is_tls_rejected(&self) -> bool {
                true
            }
            fn tls_rejection(&self) -> Option<TlsRejection> {
                self.0
            }
        }
        let cases = [
            (Some(TlsRejection::UnknownIssuer), Some("--ca-bundle FILE")),
            (Some(TlsRejection::Expired), Some("check this machine's clock")),
            (Some(TlsRejection::NotYetValid), Some("check this machine's clock")),
            (Some(TlsRejection::WrongHost), Some("the certificate is for another host")),
            (Some(TlsRejection::Other), None),
            (None, None),
        ];
        for (rejection, expected) in cases {
            let error = SdkError::Transport {
                source: modelarts_sdk::TransportError::new(Rejected(rejection)),
                attempts: 1,
            };
            let hints = for_error(&error);
            match expected {
                Some(words) => {
                    assert_eq!(hints.len(), 1, "{rejection:?}: {hints:?}");
                    assert!(hints[0].contains(words), "{rejection:?}: {hints:?}");
                }
                None => assert!(hints.is_empty(), "{rejection:?}: {hints:?}"),
            }
        }
    }

    #[test]
    fn skew_is_explained() {
        let hints = for_credentials(None, Some(-3_600_000));
        assert!(hints[0].contains("3600s behind"), "{hints:?}");
        assert!(hints[0].contains("set this machine's clock with NTP"), "{hints:?}");
        let hints = for_credentials(None, Some(2_000));
        assert!(hints[0].contains("2s ahead of") && hints[0].contains("not the cause"), "{hints:?}");
        assert!(for_credentials(None, None).is_empty());
    }
}
