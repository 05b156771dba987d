//! The SigV4 canonical request, as S3 defines it: the path is URI-encoded
//! once (no double encoding), the query is decoded, re-encoded and sorted,
//! headers are lower-cased, trimmed and listed in `SignedHeaders` order.

use http::HeaderMap;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but the unreserved characters `A-Z a-z 0-9 - _ . ~`.
const AWS_QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`AWS_QUERY`], keeping `/` (path separators).
const AWS_PATH: &AsciiSet = &AWS_QUERY.remove(b'/');

/// URI-encodes bytes with the AWS rules (`%XX` upper-case), keeping `/` if
/// `keep_slash`.
pub fn aws_uri_encode(input: &[u8], keep_slash: bool) -> String {
    let set = if keep_slash { AWS_PATH } else { AWS_QUERY };
    percent_encode(input, set).to_string()
}

/// The canonical URI computed from the path as received: percent-decoded,
/// then encoded once with the AWS rules. An empty path is `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_string();
    }
    let decoded: Vec<u8> = percent_decode(raw_path.as_bytes()).collect();
    aws_uri_encode(&decoded, true)
}

/// The canonical query string: every `name=value` pair decoded, re-encoded
/// with the AWS rules and sorted by name then value. Pairs whose name
/// equals `exclude` (case-sensitive, e.g. `X-Amz-Signature`) are dropped.
pub fn canonical_query(raw_query: Option<&str>, exclude: Option<&str>) -> String {
    let Some(q) = raw_query else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = q
        .split('&')
        .filter(|s| !s.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name: Vec<u8> = percent_decode(name.as_bytes()).collect();
            if exclude.is_some_and(|ex| ex.as_bytes() == name.as_slice()) {
                return None;
            }
            let value: Vec<u8> = percent_decode(value.as_bytes()).collect();
            Some((aws_uri_encode(&name, false), aws_uri_encode(&value, false)))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(q.len() + 8);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Trims a header value and collapses inner runs of spaces into one.
pub fn canonical_header_value(value: &[u8], out: &mut Vec<u8>) {
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let start = value.iter().position(|c| !is_ws(c)).unwrap_or(value.len());
    let end = value
        .iter()
        .rposition(|c| !is_ws(c))
        .map_or(start, |e| e + 1);
    let mut prev_space = false;
    for &c in &value[start..end] {
        if c == b' ' {
            if !prev_space {
                out.push(b' ');
            }
            prev_space = true;
        } else {
            out.push(c);
            prev_space = false;
        }
    }
}

/// The canonical headers block (each `name:value\n`) for `signed_headers`,
/// in the given order. Several values of one header are joined with `,`.
/// `host` falls back to `authority` (HTTP/2 `:authority`) when absent.
pub fn canonical_headers(
    headers: &HeaderMap,
    signed_headers: &[String],
    authority: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() && name == "host" {
            if let Some(a) = authority {
                canonical_header_value(a.as_bytes(), &mut out);
            }
        }
        let mut first = true;
        for v in values {
            if !first {
                out.push(b',');
            }
            first = false;
            canonical_header_value(v.as_bytes(), &mut out);
        }
        out.push(b'\n');
    }
    out
}

/// The pieces of a canonical request.
#[derive(Debug, Clone, Copy)]
pub struct CanonicalInput<'a> {
    /// HTTP method, upper-case.
    pub method: &'a str,
    /// Already-canonical URI (see [`canonical_uri`]).
    pub uri: &'a str,
    /// Already-canonical query (see [`canonical_query`]).
    pub query: &'a str,
    /// Output of [`canonical_headers`].
    pub headers: &'a [u8],
    /// Signed header names, lower-case, in order.
    pub signed_headers: &'a [String],
    /// Hex payload hash or a literal such as `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
}

/// Assembles the canonical request bytes.
pub fn canonical_request(input: &CanonicalInput<'_>) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(input.uri.len() + input.query.len() + input.headers.len() + 160);
    out.extend_from_slice(input.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.uri.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.query.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.headers);
    out.push(b'\n');
    out.extend_from_slice(input.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.payload_hash.as_bytes());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn uri_is_encoded_once() {
        assert_eq!(canonical_uri("/test$file.text"), "/test%24file.text");
        assert_eq!(canonical_uri("/test%24file.text"), "/test%24file.text");
        assert_eq!(canonical_uri("/a b/c+d"), "/a%20b/c%2Bd");
        assert_eq!(canonical_uri("/a%20b/%E1%88%B4"), "/a%20b/%E1%88%B4");
        assert_eq!(canonical_uri("/k%2Fslash"), "/k/slash");
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/-_.~"), "/-_.~");
    }

    #[test]
    fn query_is_sorted_and_reencoded() {
        assert_eq!(
            canonical_query(Some("Param2=value2&Param1=value1"), None),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(canonical_query(Some("lifecycle"), None), "lifecycle=");
        assert_eq!(
            canonical_query(Some("prefix=a b&max-keys=2&a=%2f&&b=c=d"), None),
            "a=%2F&b=c%3Dd&max-keys=2&prefix=a%20b"
        );
        assert_eq!(
            canonical_query(Some("foo=Zoo&foo=aha"), None),
            "foo=Zoo&foo=aha"
        );
        assert_eq!(
            canonical_query(
                Some("X-Amz-Signature=abc&X-Amz-Date=1"),
                Some("X-Amz-Signature")
            ),
            "X-Amz-Date=1"
        );
        assert_eq!(canonical_query(None, None), "");
        assert_eq!(canonical_query(Some("a=+"), None), "a=%2B");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        canonical_header_value(b"  a   b \t c  ", &mut out);
        assert_eq!(out, b"a b \t c");
        let mut out = Vec::new();
        canonical_header_value(b"   ", &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn multi_valued_headers_are_joined_and_host_falls_back() {
        let mut h = HeaderMap::new();
        h.append("x-b", "2".parse().unwrap());
        h.append("x-b", " 3 ".parse().unwrap());
        let signed = vec!["host".to_string(), "x-b".to_string()];
        let c = canonical_headers(&h, &signed, Some("example.com:9000"));
        assert_eq!(c, b"host:example.com:9000\nx-b:2,3\n");
    }
}
