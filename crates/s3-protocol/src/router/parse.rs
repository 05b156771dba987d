//! Pieces of the request line: the bucket named by the Host header, and
//! strict percent-decoding of the path and query string.

use crate::error::{S3Error, S3ErrorCode};
use std::net::IpAddr;

/// The bucket named by a virtual-hosted-style `host` (a Host header value,
/// port allowed), or `None` when the request is path-style: the host is an
/// IP address, `localhost`, equal to one of `domains`, or under none of them.
/// When several domains match, the longest wins. The bucket is lower-cased,
/// since host names are case-insensitive.
pub(crate) fn vhost_bucket(host: &str, domains: &[String]) -> Option<String> {
    let host = strip_port(host.trim())?
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() || host == "localhost" || host.parse::<IpAddr>().is_ok() {
        return None;
    }
    let mut best: Option<(usize, String)> = None;
    for domain in domains {
        let domain = strip_port(domain.trim())
            .unwrap_or_default()
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        if host == domain {
            return None;
        }
        let Some(bucket) = host
            .strip_suffix(domain.as_str())
            .and_then(|b| b.strip_suffix('.'))
        else {
            continue;
        };
        if !bucket.is_empty() && best.as_ref().is_none_or(|(len, _)| domain.len() > *len) {
            best = Some((domain.len(), bucket.to_string()));
        }
    }
    best.map(|(_, b)| b)
}

/// `host[:port]` -> `host`. Bracketed IPv6 literals (`[::1]:9000`) yield
/// `None`: they are never virtual-hosted.
fn strip_port(host: &str) -> Option<&str> {
    if host.starts_with('[') {
        return None;
    }
    Some(match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    })
}

fn invalid_uri() -> S3Error {
    S3Error::new(S3ErrorCode::InvalidURI)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `s` strictly: a `%` must start a `%XX` escape and the
/// result must be UTF-8, else `InvalidURI`. With `plus_is_space`, `+` decodes
/// to a space (query strings, as `application/x-www-form-urlencoded`);
/// otherwise it stays a `+` (paths).
pub(crate) fn decode(s: &str, plus_is_space: bool) -> Result<String, S3Error> {
    if !s.contains(['%', '+']) {
        return Ok(s.to_string());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'%' => {
                let hi = b
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .ok_or_else(invalid_uri)?;
                let lo = b
                    .get(i + 2)
                    .copied()
                    .and_then(hex)
                    .ok_or_else(invalid_uri)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| invalid_uri())
}

/// Splits and decodes a raw query string. A parameter without `=` (e.g.
/// `?uploads`) has an empty value; empty segments (`a&&b`) are skipped.
pub(crate) fn parse_query(raw: Option<&str>) -> Result<Vec<(String, String)>, S3Error> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Ok((decode(k, true)?, decode(v, true)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        vec![
            "s3.example.com".into(),
            "example.com".into(),
            "s3.local:9000".into(),
        ]
    }

    #[test]
    fn virtual_hosts() {
        let d = domains();
        assert_eq!(vhost_bucket("b.s3.example.com", &d).as_deref(), Some("b"));
        assert_eq!(
            vhost_bucket("B.S3.Example.COM:9000", &d).as_deref(),
            Some("b")
        );
        assert_eq!(
            vhost_bucket("my.dotted.bucket.s3.example.com", &d).as_deref(),
            Some("my.dotted.bucket")
        );
        assert_eq!(vhost_bucket("b.s3.example.com.", &d).as_deref(), Some("b"));
        // The longest matching domain wins: "s3" is not a bucket of example.com here.
        assert_eq!(vhost_bucket("s3.example.com", &d), None);
        assert_eq!(vhost_bucket("x.example.com", &d).as_deref(), Some("x"));
        assert_eq!(vhost_bucket("b.s3.local", &d).as_deref(), Some("b"));
        assert_eq!(vhost_bucket("example.com", &d), None);
        assert_eq!(vhost_bucket("notexample.com", &d), None);
        assert_eq!(vhost_bucket("other.org", &d), None);
        assert_eq!(vhost_bucket("localhost:9000", &d), None);
        assert_eq!(vhost_bucket("127.0.0.1:9000", &d), None);
        assert_eq!(vhost_bucket("[::1]:9000", &d), None);
        assert_eq!(vhost_bucket("", &d), None);
        assert_eq!(vhost_bucket("b.s3.example.com", &[]), None);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("a%20b+c", false).ok().as_deref(), Some("a b+c"));
        assert_eq!(decode("a%20b+c", true).ok().as_deref(), Some("a b c"));
        assert_eq!(decode("%E2%82%ac", false).ok().as_deref(), Some("€"));
        assert_eq!(decode("a%2Fb", false).ok().as_deref(), Some("a/b"));
        for bad in ["%", "%2", "%zz", "%C3", "%FF%FE"] {
            assert_eq!(
                decode(bad, false).err().map(|e| e.code),
                Some(S3ErrorCode::InvalidURI)
            );
        }
    }

    #[test]
    fn queries() {
        let q = parse_query(Some("uploads&prefix=a+b%2Bc&&max-keys=10&empty=")).ok();
        let want: Vec<(String, String)> = [
            ("uploads", ""),
            ("prefix", "a b+c"),
            ("max-keys", "10"),
            ("empty", ""),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(q, Some(want));
        assert_eq!(parse_query(None).ok(), Some(vec![]));
        assert!(parse_query(Some("prefix=%G0")).is_err());
    }
}
