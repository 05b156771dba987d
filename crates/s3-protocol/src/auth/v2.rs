//! AWS Signature Version 2, which S3 still accepts and some clients still
//! send by default: boto3's `generate_presigned_url` (query parameters
//! `AWSAccessKeyId`, `Expires`, `Signature`) and older tools
//! (`Authorization: AWS AKID:signature`). HMAC-SHA1 over a string to sign
//! made of the method, Content-MD5, Content-Type, the date (or the expiry),
//! the `x-amz-*` headers and the resource with its sub-resources.

use super::signing::constant_time_eq;
use super::{PayloadMode, Verified, MAX_CLOCK_SKEW_SECS};
use crate::error::{S3Error, S3ErrorCode};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use http::request::Parts;
use percent_encoding::percent_decode_str;
use sha1::Sha1;
use time::OffsetDateTime;

/// Query parameters that are part of the signed resource, sorted.
const SUB_RESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The parsed (not yet verified) SigV2 credentials of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V2Auth {
    pub access_key_id: String,
    /// Base64 HMAC-SHA1, as sent.
    signature: String,
    /// `Expires` (Unix seconds) of a presigned URL.
    expires: Option<i64>,
}

impl V2Auth {
    /// From `Authorization: AWS AKID:signature`.
    pub(crate) fn from_header(value: &str) -> Result<V2Auth, S3Error> {
        let rest = value.strip_prefix("AWS ").unwrap_or_default();
        let (akid, sig) = rest.rsplit_once(':').ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            )
        })?;
        if akid.is_empty() || sig.is_empty() {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            ));
        }
        Ok(V2Auth {
            access_key_id: akid.trim().to_string(),
            signature: sig.trim().to_string(),
            expires: None,
        })
    }

    /// From the query of a presigned URL (already percent-decoded pairs).
    pub(crate) fn from_query(query: &[(String, String)]) -> Result<V2Auth, S3Error> {
        let get = |n: &str| query.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let invalid = |m: &str| S3Error::with_message(S3ErrorCode::AccessDenied, m.to_string());
        let akid = get("AWSAccessKeyId")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                invalid("Query-string authentication requires the AWSAccessKeyId parameter")
            })?;
        let signature = get("Signature").filter(|v| !v.is_empty()).ok_or_else(|| {
            invalid("Query-string authentication requires the Signature parameter")
        })?;
        let expires = get("Expires")
            .ok_or_else(|| invalid("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"))?
            .parse::<i64>()
            .map_err(|_| invalid("Invalid date (should be seconds since epoch)"))?;
        Ok(V2Auth {
            access_key_id: akid,
            signature,
            expires: Some(expires),
        })
    }

    pub fn is_presigned(&self) -> bool {
        self.expires.is_some()
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> &'a str {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
}

/// `x-amz-*` headers, lower-cased and sorted, `name:value\n` each.
fn canonical_amz_headers(parts: &Parts) -> String {
    let mut names: Vec<&str> = parts
        .headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| k.starts_with("x-amz-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::new();
    for name in names {
        let values: Vec<String> = parts
            .headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// The signed resource: `[/bucket]` + the path as sent + sub-resources.
///
/// The resource of a bucket request is `/bucket/` (AWS's rule, and what
/// botocore signs): a path-style `/bucket` without the trailing slash gets
/// one, as does the bare `/` of a virtual-hosted request (`/` + bucket +
/// `/`). The service root `/` stays `/`.
fn canonical_resource(parts: &Parts, bucket_prefix: Option<&str>) -> String {
    let mut out = String::new();
    let path = parts.uri.path();
    if let Some(b) = bucket_prefix {
        out.push('/');
        out.push_str(b);
    }
    out.push_str(path);
    let bucket_only = bucket_prefix.is_none()
        && path
            .strip_prefix('/')
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
    if bucket_only {
        out.push('/');
    }
    let mut subs: Vec<(String, Option<String>)> = Vec::new();
    for pair in parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = match pair.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (pair, None),
        };
        let k = percent_decode_str(k).decode_utf8_lossy().into_owned();
        if SUB_RESOURCES.contains(&k.as_str()) {
            let v = v.map(|v| percent_decode_str(v).decode_utf8_lossy().into_owned());
            subs.push((k, v));
        }
    }
    subs.sort();
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The SigV2 string to sign. `date` is the Date header, or `Expires` for a
/// presigned URL (empty when `x-amz-date` is sent, which is signed instead).
pub fn string_to_sign(parts: &Parts, date: &str, bucket_prefix: Option<&str>) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}{}",
        parts.method.as_str(),
        header(parts, "content-md5"),
        header(parts, "content-type"),
        date,
        canonical_amz_headers(parts),
        canonical_resource(parts, bucket_prefix)
    )
}

/// Base64 HMAC-SHA1 of `string_to_sign` under `secret`.
pub fn sign(secret: &str, string_to_sign: &str) -> String {
    // HMAC is defined for keys of every length, so construction cannot
    // fail; an empty signature (never a match) keeps this total.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Verifies a SigV2 request. `bucket` is the request's bucket when it was
/// addressed virtual-hosted style (the signed resource then starts with it).
pub fn verify_v2(
    parts: &Parts,
    auth: &V2Auth,
    secret_key: &str,
    vhost_bucket: Option<&str>,
    now: OffsetDateTime,
) -> Result<Verified, S3Error> {
    let date = match auth.expires {
        Some(expires) => {
            if now.unix_timestamp() > expires {
                return Err(S3Error::with_message(
                    S3ErrorCode::AccessDenied,
                    "Request has expired",
                )
                .extra("Expires", expires.to_string()));
            }
            expires.to_string()
        }
        None => {
            let amz_date = header(parts, "x-amz-date");
            let date = header(parts, "date");
            let when = if amz_date.is_empty() { date } else { amz_date };
            let t = crate::fmt::parse_date_header(when)
                .map(|ms| ms.div_euclid(1000))
                .ok_or_else(|| {
                    S3Error::with_message(
                        S3ErrorCode::AccessDenied,
                        "AWS authentication requires a valid Date or x-amz-date header",
                    )
                })?;
            if (now.unix_timestamp() - t).abs() > MAX_CLOCK_SKEW_SECS {
                return Err(S3Error::new(S3ErrorCode::RequestTimeTooSkewed));
            }
            if amz_date.is_empty() {
                date.to_string()
            } else {
                String::new()
            }
        }
    };
    let candidates = [None, vhost_bucket];
    for prefix in candidates
        .iter()
        .take(if vhost_bucket.is_some() { 2 } else { 1 })
    {
        let sts = string_to_sign(parts, &date, *prefix);
        let expected = sign(secret_key, &sts);
        if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Ok(Verified {
                access_key_id: auth.access_key_id.clone(),
                region: String::new(),
                payload: PayloadMode::Unsigned,
            });
        }
    }
    tracing::debug!(string_to_sign = %string_to_sign(parts, &date, None), "SigV2 signature mismatch");
    Err(S3Error::new(S3ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", auth.access_key_id.clone()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    // The examples of the AWS "Signing and authenticating REST requests"
    // (SigV2) page whose published signatures match their published string
    // to sign (several on that page do not), with its example credentials.
    // The other expected values were computed independently with Python's
    // hmac and hashlib.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn signed(p: &Parts, date: &str, bucket: Option<&str>) -> (String, String) {
        let sts = string_to_sign(p, date, bucket);
        let sig = sign(SECRET, &sts);
        (sts, sig)
    }

    #[test]
    fn aws_example_object_get_virtual_hosted() {
        let p = parts(
            "GET",
            "/photos/puppy.jpg",
            &[("date", "Tue, 27 Mar 2007 19:36:42 +0000")],
        );
        let (sts, sig) = signed(
            &p,
            "Tue, 27 Mar 2007 19:36:42 +0000",
            Some("awsexamplebucket1"),
        );
        assert_eq!(
            sts,
            "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg"
        );
        assert_eq!(sig, "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
    }

    #[test]
    fn aws_example_object_put() {
        let p = parts(
            "PUT",
            "/awsexamplebucket1/photos/puppy.jpg",
            &[
                ("content-type", "image/jpeg"),
                ("date", "Tue, 27 Mar 2007 21:15:45 +0000"),
            ],
        );
        assert_eq!(
            signed(&p, "Tue, 27 Mar 2007 21:15:45 +0000", None).1,
            "iqRzw+ileNPu1fhspnRs8nOjjIA="
        );
    }

    #[test]
    fn aws_examples_list_all_buckets_and_unicode_keys() {
        let p = parts("GET", "/", &[]);
        assert_eq!(
            signed(&p, "Wed, 28 Mar 2007 01:29:59 +0000", None).1,
            "qGdzdERIC03wnaRNKh6OqZehG9s="
        );
        // The resource is signed exactly as sent, escapes and case included.
        let p = parts("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", &[]);
        assert_eq!(
            signed(&p, "Wed, 28 Mar 2007 01:49:49 +0000", None).1,
            "DNEZGsoieTZ92F3bUfSPQcbGmlM="
        );
    }

    #[test]
    fn sub_resources_and_amz_headers_are_signed() {
        let p = parts("GET", "/awsexamplebucket1/?acl&prefix=x", &[]);
        let (sts, sig) = signed(&p, "Tue, 27 Mar 2007 19:44:46 +0000", None);
        assert_eq!(
            sts,
            "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl"
        );
        assert_eq!(sig, "82ZHiFIjc+WbcwFKGUVEQspPn+0=");
        let p = parts(
            "DELETE",
            "/awsexamplebucket1/photos/puppy.jpg",
            &[
                ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
                ("user-agent", "dotnet"),
            ],
        );
        let (sts, sig) = signed(&p, "", None);
        assert_eq!(sts, "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg");
        assert_eq!(sig, "Ri1hpB1zpS9pGqR7y8kuNFCl4sE=");
        let p = parts(
            "PUT",
            "/b/k",
            &[("x-amz-meta-b", "2"), ("x-amz-meta-a", "  one   two ")],
        );
        assert!(string_to_sign(&p, "", None).contains("x-amz-meta-a:one two\nx-amz-meta-b:2\n/b/k"));
    }

    #[test]
    fn bucket_resource_ends_with_a_slash() {
        let d = "Tue, 27 Mar 2007 19:42:41 +0000";
        let sts =
            |uri: &str, bucket: Option<&str>| string_to_sign(&parts("GET", uri, &[]), d, bucket);
        let want = format!("GET\n\n\n{d}\n/b/");
        assert_eq!(sts("/b", None), want);
        assert_eq!(sts("/b/", None), want);
        assert_eq!(sts("/b?prefix=x", None), want);
        assert_eq!(sts("/", Some("b")), want);
        assert!(sts("/b?acl", None).ends_with("\n/b/?acl"));
        assert!(sts("/", None).ends_with("\n/"));
        assert!(sts("/b/k", None).ends_with("\n/b/k"));
        assert!(sts("/k", Some("b")).ends_with("\n/b/k"));
    }

    #[test]
    fn query_string_authentication_and_expiry() {
        let p = parts(
            "GET",
            "/awsexamplebucket1/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=1No4mq5ETf02z8aet9voy6gui6E%3D&Expires=1175139620",
            &[],
        );
        let q: Vec<(String, String)> = vec![
            ("AWSAccessKeyId".into(), "AKIAIOSFODNN7EXAMPLE".into()),
            ("Signature".into(), "1No4mq5ETf02z8aet9voy6gui6E=".into()),
            ("Expires".into(), "1175139620".into()),
        ];
        let auth = V2Auth::from_query(&q).unwrap();
        assert!(auth.is_presigned());
        let before = OffsetDateTime::from_unix_timestamp(1_175_139_000).unwrap();
        let v = verify_v2(&p, &auth, SECRET, None, before).unwrap();
        assert_eq!(v.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(v.payload, PayloadMode::Unsigned);
        let after = OffsetDateTime::from_unix_timestamp(1_175_139_621).unwrap();
        let e = verify_v2(&p, &auth, SECRET, None, after).unwrap_err();
        assert_eq!(e.code, S3ErrorCode::AccessDenied);
        let e = verify_v2(&p, &auth, "wrong", None, before).unwrap_err();
        assert_eq!(e.code, S3ErrorCode::SignatureDoesNotMatch);
    }

    #[test]
    fn header_date_skew_is_checked() {
        let p = parts("GET", "/", &[("date", "Wed, 28 Mar 2007 01:29:59 GMT")]);
        let a = V2Auth::from_header("AWS AKIAIOSFODNN7EXAMPLE:x").unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_175_045_399 + 3600).unwrap();
        assert_eq!(
            verify_v2(&p, &a, SECRET, None, now).unwrap_err().code,
            S3ErrorCode::RequestTimeTooSkewed
        );
        let sig = sign(
            SECRET,
            &string_to_sign(&p, "Wed, 28 Mar 2007 01:29:59 GMT", None),
        );
        let a = V2Auth::from_header(&format!("AWS AKIAIOSFODNN7EXAMPLE:{sig}")).unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_175_045_399).unwrap();
        assert!(verify_v2(&p, &a, SECRET, None, now).is_ok());
    }

    #[test]
    fn header_form_parses() {
        let a =
            V2Auth::from_header("AWS AKIAIOSFODNN7EXAMPLE:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=").unwrap();
        assert_eq!(a.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert!(!a.is_presigned());
        assert!(V2Auth::from_header("AWS nocolon").is_err());
    }
}
