//! Which IAM endpoint to use, in the official SDKs' order: an explicit value, then
//! `HUAWEICLOUD_SDK_IAM_ENDPOINT`, then the profile's `iam_endpoint`, then the region's own IAM
//! endpoint, then the global one.
//!
//! The IAM endpoint cannot be derived from the ModelArts host: ap-southeast-1's ModelArts is on
//! `.myhuaweicloud.cn` while its IAM is on `.myhuaweicloud.com`; Open Telekom Cloud's `eu-de` is
//! `iam.eu-de.otc.t-systems.com`. The values come in as arguments: the SDK reads the variable and
//! the profile.
//!
//! ```
//! use modelarts_protocol::iam::endpoint::{resolve_iam_endpoint, IamEndpointInputs, IamEndpointSource};
//!
//! let inputs = IamEndpointInputs { region: Some("ap-southeast-1"), ..Default::default() };
//! let (endpoint, source) = resolve_iam_endpoint(&inputs).unwrap();
//! assert_eq!(endpoint.url(), "https://iam.ap-southeast-1.myhuaweicloud.com");
//! assert_eq!(source, IamEndpointSource::Region);
//! ```

use std::fmt;

use crate::endpoint::{Endpoint, EndpointError};

/// The global IAM endpoint, used when nothing else applies.
pub const GLOBAL_IAM_ENDPOINT: &str = "https://iam.myhuaweicloud.com";

/// The environment variable the SDK reads for [`IamEndpointInputs::env`].
pub const IAM_ENDPOINT_ENV: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";

/// Regions with their own IAM endpoint (the official SDKs' table, plus Open Telekom Cloud). Any other
/// region uses [`GLOBAL_IAM_ENDPOINT`].
pub const IAM_REGION_ENDPOINTS: &[(&str, &str)] = &[
    ("ae-ad-1", "https://iam.ae-ad-1.myhuaweicloud.com"),
    ("af-south-1", "https://iam.af-south-1.myhuaweicloud.com"),
    ("ap-southeast-1", "https://iam.ap-southeast-1.myhuaweicloud.com"),
    ("ap-southeast-2", "https://iam.ap-southeast-2.myhuaweicloud.com"),
    ("ap-southeast-3", "https://iam.ap-southeast-3.myhuaweicloud.com"),
    ("ap-southeast-4", "https://iam.ap-southeast-4.myhuaweicloud.com"),
    ("cn-east-2", "https://iam.cn-east-2.myhuaweicloud.com"),
    ("cn-east-3", "https://iam.cn-east-3.myhuaweicloud.com"),
    ("cn-east-4", "https://iam.cn-east-4.myhuaweicloud.com"),
    ("cn-east-5", "https://iam.cn-east-5.myhuaweicloud.com"),
    ("cn-north-1", "https://iam.cn-north-1.myhuaweicloud.com"),
    ("cn-north-2", "https://iam.cn-north-2.myhuaweicloud.com"),
    ("cn-north-4", "https://iam.cn-north-4.myhuaweicloud.com"),
    ("cn-north-9", "https://iam.cn-north-9.myhuaweicloud.com"),
    ("cn-south-1", "https://iam.cn-south-1.myhuaweicloud.com"),
    ("cn-south-2", "https://iam.cn-south-2.myhuaweicloud.com"),
    ("cn-southwest-2", "https://iam.cn-southwest-2.myhuaweicloud.com"),
    ("eu-de", "https://iam.eu-de.otc.t-systems.com"),
    ("eu-west-0", "https://iam.eu-west-0.myhuaweicloud.com"),
    ("eu-west-101", "https://iam.eu-west-101.myhuaweicloud.eu"),
    ("la-north-2", "https://iam.la-north-2.myhuaweicloud.com"),
    ("la-south-2", "https://iam.la-south-2.myhuaweicloud.com"),
    ("me-east-1", "https://iam.me-east-1.myhuaweicloud.com"),
    ("my-kualalumpur-1", "https://iam.my-kualalumpur-1.myhuaweicloud.com"),
    ("na-mexico-1", "https://iam.na-mexico-1.myhuaweicloud.com"),
    ("ru-moscow-1", "https://iam.ru-moscow-1.myhuaweicloud.com"),
    ("sa-brazil-1", "https://iam.sa-brazil-1.myhuaweicloud.com"),
    ("tr-west-1", "https://iam.tr-west-1.myhuaweicloud.com"),
];

/// Where the IAM endpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IamEndpointSource {
    /// Given explicitly (`--iam-endpoint`, the builder).
    Explicit,
    /// `HUAWEICLOUD_SDK_IAM_ENDPOINT`.
    Env,
    /// The profile's `iam_endpoint`.
    Profile,
    /// The region's IAM endpoint from [`IAM_REGION_ENDPOINTS`].
    Region,
    /// [`GLOBAL_IAM_ENDPOINT`].
    Global,
}

impl fmt::Display for IamEndpointSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IamEndpointSource::Explicit => "explicit setting",
            IamEndpointSource::Env => IAM_ENDPOINT_ENV,
            IamEndpointSource::Profile => "profile key iam_endpoint",
            IamEndpointSource::Region => "the region's IAM endpoint",
            IamEndpointSource::Global => "the global IAM endpoint",
        })
    }
}

/// What the resolution looks at. Blank values count as absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IamEndpointInputs<'a> {
    /// An explicit URL.
    pub explicit: Option<&'a str>,
    /// The value of `HUAWEICLOUD_SDK_IAM_ENDPOINT`.
    pub env: Option<&'a str>,
    /// The profile's `iam_endpoint`.
    pub profile: Option<&'a str>,
    /// The region.
    pub region: Option<&'a str>,
}

/// An IAM endpoint setting that is not a valid URL. The first set source decides: an invalid value
/// is an error, never silently skipped for the next one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid IAM endpoint from {source_name}")]
pub struct IamEndpointError {
    /// Where the bad value came from.
    pub source_name: IamEndpointSource,
    /// Why it was refused.
    #[source]
    pub error: EndpointError,
}

/// The IAM endpoint of a region, if the region has its own.
pub fn iam_endpoint_for_region(region: &str) -> Option<Endpoint> {
    let region = region.trim();
    IAM_REGION_ENDPOINTS.iter().find(|(r, _)| *r == region).and_then(|(_, url)| Endpoint::from_url(url).ok())
}

/// Resolves the IAM endpoint and says where it came from.
pub fn resolve_iam_endpoint(
    inputs: &IamEndpointInputs<'_>,
) -> Result<(Endpoint, IamEndpointSource), IamEndpointError> {
    let set = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let ordered = [
        (inputs.explicit, IamEndpointSource::Explicit),
        (inputs.env, IamEndpointSource::Env),
        (inputs.profile, IamEndpointSource::Profile),
    ];
    for (value, source) in ordered {
        if let Some(url) = set(value) {
            return Endpoint::from_url(&url)
                .map(|e| (e, source))
                .map_err(|error| IamEndpointError { source_name: source, error });
        }
    }
    if let Some(endpoint) = inputs.region.and_then(iam_endpoint_for_region) {
        return Ok((endpoint, IamEndpointSource::Region));
    }
    Endpoint::from_url(GLOBAL_IAM_ENDPOINT)
        .map(|e| (e, IamEndpointSource::Global))
        .map_err(|error| IamEndpointError { source_name: IamEndpointSource::Global, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(
        explicit: Option<&'a str>,
        env: Option<&'a str>,
        profile: Option<&'a str>,
        region: Option<&'a str>,
    ) -> IamEndpointInputs<'a> {
        IamEndpointInputs { explicit, env, profile, region }
    }

    #[test]
    fn resolution_table() {
        use IamEndpointSource::*;
        let x = Some("https://iam.explicit.example");
        let e = Some("iam.env.example");
        let p = Some("http://127.0.0.1:9/iam");
        let cases = [
            (inputs(x, e, p, Some("cn-north-4")), "https://iam.explicit.example", Explicit),
            (inputs(None, e, p, Some("cn-north-4")), "https://iam.env.example", Env),
            (inputs(Some("  "), e, p, None), "https://iam.env.example", Env),
            (inputs(None, None, p, Some("cn-north-4")), "http://127.0.0.1:9/iam", Profile),
            (inputs(None, Some(""), p, None), "http://127.0.0.1:9/iam", Profile),
            (
                inputs(None, None, None, Some("cn-north-4")),
                "https://iam.cn-north-4.myhuaweicloud.com",
                Region,
            ),
            // ModelArts is on .cn there, IAM is not.
            (
                inputs(None, None, None, Some("ap-southeast-1")),
                "https://iam.ap-southeast-1.myhuaweicloud.com",
                Region,
            ),
            (inputs(None, None, None, Some("eu-de")), "https://iam.eu-de.otc.t-systems.com", Region),
            (
                inputs(None, None, None, Some("eu-west-101")),
                "https://iam.eu-west-101.myhuaweicloud.eu",
                Region,
            ),
            (
                inputs(None, None, None, Some(" la-south-2 ")),
                "https://iam.la-south-2.myhuaweicloud.com",
                Region,
            ),
            // A ModelArts region without its own IAM endpoint, an unknown one, none at all.
            (inputs(None, None, None, Some("cn-north-11")), GLOBAL_IAM_ENDPOINT, Global),
            (inputs(None, None, None, Some("mars-1")), GLOBAL_IAM_ENDPOINT, Global),
            (inputs(None, None, None, None), GLOBAL_IAM_ENDPOINT, Global),
        ];
        for (input, url, source) in cases {
            let (endpoint, got) = resolve_iam_endpoint(&input).unwrap();
            assert_eq!((endpoint.url().as_str(), got), (url, source), "{input:?}");
        }
    }

    #[test]
    fn an_invalid_value_is_an_error_naming_its_source() {
        let cases = [
            (inputs(Some("ftp://x"), Some("iam.env.example"), None, None), IamEndpointSource::Explicit),
            (inputs(None, Some("https://h:99999"), Some("iam.ok"), None), IamEndpointSource::Env),
            (inputs(None, None, Some("https://u:secret@h"), Some("cn-north-4")), IamEndpointSource::Profile),
        ];
        for (input, source) in cases {
            let e = resolve_iam_endpoint(&input).unwrap_err();
            assert_eq!(e.source_name, source, "{input:?}");
            assert!(e.to_string().contains(&source.to_string()));
            assert!(!format!("{e:?}").contains("secret"));
        }
    }

    #[test]
    fn every_table_entry_is_a_valid_https_endpoint() {
        for (region, url) in IAM_REGION_ENDPOINTS {
            let e = iam_endpoint_for_region(region).unwrap_or_else(|| panic!("{region}"));
            assert!(e.is_https() && e.url() == *url, "{region}");
        }
        let mut sorted: Vec<&str> = IAM_REGION_ENDPOINTS.iter().map(|(r, _)| *r).collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), IAM_REGION_ENDPOINTS.len(), "no duplicates");
    }
}
