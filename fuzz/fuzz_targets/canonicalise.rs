//! Path and query strings through the canonical forms: never panics, and the laws hold —
//! both forms are idempotent, the URI ends with '/', and only unreserved bytes stay literal.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use modelarts_protocol::signing::{canonical_query, canonical_request, canonical_uri, encode_component};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, &'a [u8])>,
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~".contains(&b)
}

/// Every `%` starts an upper-case hex escape, every other byte is unreserved or in `extra`.
fn well_encoded(text: &str, extra: &[u8]) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
            if i + 2 >= bytes.len() {
                return false;
            }
            if !(hex(bytes[i + 1]) && hex(bytes[i + 2])) {
                return false;
            }
            i += 3;
        } else if unreserved(b) || extra.contains(&b) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fuzz_target!(|input: Input<'_>| {
    let uri = canonical_uri(input.path);
    assert!(uri.ends_with('/'), "{uri:?}");
    assert!(well_encoded(&uri, b"/"), "{uri:?}");
    assert_eq!(canonical_uri(&uri), uri, "canonical_uri is not idempotent for {:?}", input.path);

    let query = canonical_query(input.query);
    assert!(well_encoded(&query, b"=&"), "{query:?}");
    assert_eq!(canonical_query(&query), query, "canonical_query is not idempotent for {:?}", input.query);
    if input.query.split('&').all(str::is_empty) {
        assert!(query.is_empty());
    }

    // A component is encoded with the same unreserved set.
    let component = encode_component(input.path);
    assert!(well_encoded(&component, b""), "{component:?}");

    let mut headers: Vec<(String, &[u8])> =
        input.headers.iter().map(|(n, v)| (n.to_ascii_lowercase(), *v)).collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    let request = canonical_request(input.method, input.path, input.query, &headers, "UNSIGNED-PAYLOAD");
    let lines: Vec<&str> = request.split('\n').collect();
    assert!(request.ends_with("UNSIGNED-PAYLOAD"));
    if !input.method.contains('\n') {
        assert_eq!(lines[1], uri);
        assert_eq!(lines[2], query);
    }
});
