//! Conditional request headers (RFC 7232 as S3 applies them).

use tessera_s3_protocol::fmt::parse_http_date;
use tessera_s3_protocol::{S3Error, S3ErrorCode};

/// The four conditions, by header name prefix (`if-` for GET/HEAD,
/// `x-amz-copy-source-if-` for the source of a copy).
pub struct Conditions<'a> {
    pub if_match: Option<&'a str>,
    pub if_none_match: Option<&'a str>,
    pub if_modified_since: Option<&'a str>,
    pub if_unmodified_since: Option<&'a str>,
}

impl<'a> Conditions<'a> {
    pub fn from_headers(h: &'a http::HeaderMap, prefix: &str) -> Conditions<'a> {
        let get = |n: &str| h.get(format!("{prefix}{n}")).and_then(|v| v.to_str().ok());
        Conditions {
            if_match: get("match"),
            if_none_match: get("none-match"),
            if_modified_since: get("modified-since"),
            if_unmodified_since: get("unmodified-since"),
        }
    }

    /// Evaluates the conditions against an object's ETag and Last-Modified.
    /// `not_modified` is the error for a failed If-None-Match /
    /// If-Modified-Since (304 for GET/HEAD, 412 for a copy source).
    pub fn check(
        &self,
        etag: &str,
        last_modified_ms: i64,
        not_modified: S3ErrorCode,
    ) -> Result<(), S3Error> {
        let modified_secs = last_modified_ms.div_euclid(1000);
        let date = |s: &str| parse_http_date(s).map(|ms| ms.div_euclid(1000));
        let failed = |cond: &str| {
            S3Error::new(S3ErrorCode::PreconditionFailed).extra("Condition", cond.to_string())
        };
        if let Some(m) = self.if_match {
            if !etag_list_matches(m, etag) {
                return Err(failed("If-Match"));
            }
        } else if let Some(since) = self.if_unmodified_since.and_then(date) {
            if modified_secs > since {
                return Err(failed("If-Unmodified-Since"));
            }
        }
        if let Some(m) = self.if_none_match {
            if etag_list_matches(m, etag) {
                return Err(not_modified_error(not_modified, "If-None-Match"));
            }
        } else if let Some(since) = self.if_modified_since.and_then(date) {
            if modified_secs <= since {
                return Err(not_modified_error(not_modified, "If-Modified-Since"));
            }
        }
        Ok(())
    }
}

fn not_modified_error(code: S3ErrorCode, cond: &str) -> S3Error {
    let e = S3Error::new(code);
    if code == S3ErrorCode::PreconditionFailed {
        e.extra("Condition", cond.to_string())
    } else {
        e
    }
}

/// Whether an `If-Match`/`If-None-Match` value (`*`, or a comma-separated
/// list of quoted or bare, possibly weak, ETags) matches `etag`.
pub fn etag_list_matches(list: &str, etag: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/").trim_matches('"') == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_000_000; // Tue, 14 Nov 2023 22:13:20 GMT

    fn c<'a>(
        m: Option<&'a str>,
        nm: Option<&'a str>,
        ms: Option<&'a str>,
        us: Option<&'a str>,
    ) -> Conditions<'a> {
        Conditions {
            if_match: m,
            if_none_match: nm,
            if_modified_since: ms,
            if_unmodified_since: us,
        }
    }

    #[test]
    fn etag_lists() {
        assert!(etag_list_matches("\"abc\"", "abc"));
        assert!(etag_list_matches("x, \"abc\"", "abc"));
        assert!(etag_list_matches("W/\"abc\"", "abc"));
        assert!(etag_list_matches("*", "abc"));
        assert!(!etag_list_matches("\"abd\"", "abc"));
    }

    #[test]
    fn precedence_follows_s3() {
        let nm = S3ErrorCode::NotModified;
        let before = "Mon, 13 Nov 2023 00:00:00 GMT";
        let after = "Wed, 15 Nov 2023 00:00:00 GMT";
        assert!(c(Some("\"e\""), None, None, None).check("e", T, nm).is_ok());
        assert_eq!(
            c(Some("\"x\""), None, None, None)
                .check("e", T, nm)
                .unwrap_err()
                .code,
            S3ErrorCode::PreconditionFailed
        );
        // If-Match true + If-Unmodified-Since false -> 200
        assert!(c(Some("\"e\""), None, None, Some(before))
            .check("e", T, nm)
            .is_ok());
        assert_eq!(
            c(None, None, None, Some(before))
                .check("e", T, nm)
                .unwrap_err()
                .code,
            S3ErrorCode::PreconditionFailed
        );
        assert_eq!(
            c(None, Some("\"e\""), None, None)
                .check("e", T, nm)
                .unwrap_err()
                .code,
            S3ErrorCode::NotModified
        );
        // If-None-Match false + If-Modified-Since false -> 200
        assert!(c(None, Some("\"x\""), Some(after), None)
            .check("e", T, nm)
            .is_ok());
        assert_eq!(
            c(None, None, Some(after), None)
                .check("e", T, nm)
                .unwrap_err()
                .code,
            S3ErrorCode::NotModified
        );
        assert!(c(None, None, Some(before), None).check("e", T, nm).is_ok());
        assert_eq!(
            c(None, None, Some(after), None)
                .check("e", T, S3ErrorCode::PreconditionFailed)
                .unwrap_err()
                .code,
            S3ErrorCode::PreconditionFailed
        );
    }
}
