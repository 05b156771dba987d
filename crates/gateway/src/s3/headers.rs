//! Object headers in and out: content headers, `x-amz-meta-*`, storage class,
//! Content-MD5, and the headers of GET/HEAD responses.

use crate::response::{set_header, HttpResponse};
use base64::Engine as _;
use tessera_s3_protocol::fmt::{http_date, quote_etag};
use tessera_s3_protocol::{S3Error, S3ErrorCode};
use tessera_types::{ContentHeaders, ObjectRecord, StorageClass};

/// S3's limit on the total size of user metadata (names and values).
const MAX_USER_METADATA: usize = 2048;

fn header<'a>(h: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// Headers asking for features Tessera does not provide. Ignoring them would
/// let a client believe its object is encrypted, locked or tagged, so writes
/// that carry them are refused.
const UNSUPPORTED_WRITE_HEADERS: [(&str, &str); 5] = [
    ("x-amz-server-side-encryption", "Server-side encryption"),
    (
        "x-amz-server-side-encryption-customer-algorithm",
        "Server-side encryption with customer keys",
    ),
    ("x-amz-object-lock-mode", "Object lock"),
    ("x-amz-object-lock-legal-hold", "Object lock"),
    ("x-amz-tagging", "Object tagging"),
];

/// Refuses a write that asks for a feature Tessera does not implement.
pub(crate) fn reject_unsupported(h: &http::HeaderMap) -> Result<(), S3Error> {
    for (name, feature) in UNSUPPORTED_WRITE_HEADERS {
        if h.contains_key(name) {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                format!("{feature} ({name}) is not supported by Tessera."),
            )
            .extra("Header", name));
        }
    }
    Ok(())
}

/// Content-Type and the other stored content headers of a PUT.
pub(crate) fn content_headers(h: &http::HeaderMap) -> ContentHeaders {
    let get = |n: &str| header(h, n).map(str::to_string);
    ContentHeaders {
        content_type: get("content-type"),
        content_encoding: get("content-encoding")
            .map(|v| strip_aws_chunked(&v))
            .filter(|v| !v.is_empty()),
        content_disposition: get("content-disposition"),
        content_language: get("content-language"),
        cache_control: get("cache-control"),
        expires: get("expires"),
    }
}

/// `aws-chunked` is transfer framing, not a content encoding to store.
fn strip_aws_chunked(v: &str) -> String {
    v.split(',')
        .map(str::trim)
        .filter(|e| !e.eq_ignore_ascii_case("aws-chunked") && !e.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `x-amz-meta-*` headers, names lower-cased without the prefix.
pub(crate) fn user_metadata(h: &http::HeaderMap) -> Result<Vec<(String, String)>, S3Error> {
    let mut out = Vec::new();
    let mut size = 0;
    for (name, value) in h {
        if let Some(n) = name.as_str().strip_prefix("x-amz-meta-") {
            let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
            size += n.len() + v.len();
            out.push((n.to_string(), v));
        }
    }
    if size > MAX_USER_METADATA {
        return Err(S3Error::new(S3ErrorCode::MetadataTooLarge)
            .extra("Size", size.to_string())
            .extra("MaxSizeAllowed", MAX_USER_METADATA.to_string()));
    }
    out.sort();
    Ok(out)
}

/// `x-amz-storage-class`, STANDARD when absent.
pub(crate) fn storage_class(h: &http::HeaderMap) -> Result<StorageClass, S3Error> {
    match header(h, "x-amz-storage-class") {
        None => Ok(StorageClass::Standard),
        Some(v) => StorageClass::parse(v.trim()).ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::InvalidStorageClass,
                "The storage class you specified is not valid",
            )
            .extra("StorageClassRequested", v)
        }),
    }
}

/// The decoded `Content-MD5` header, if any (InvalidDigest if malformed).
pub(crate) fn content_md5(h: &http::HeaderMap) -> Result<Option<[u8; 16]>, S3Error> {
    let Some(v) = h.get("content-md5") else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.as_bytes())
        .map_err(|_| S3Error::new(S3ErrorCode::InvalidDigest))?;
    let md5: [u8; 16] = bytes
        .try_into()
        .map_err(|_| S3Error::new(S3ErrorCode::InvalidDigest))?;
    Ok(Some(md5))
}

/// The length the client announced for the decoded body.
pub(crate) fn declared_length(h: &http::HeaderMap) -> Result<Option<u64>, S3Error> {
    let parse = |name: &str| -> Result<Option<u64>, S3Error> {
        match header(h, name) {
            None => Ok(None),
            Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                S3Error::with_message(S3ErrorCode::InvalidArgument, format!("Invalid {name}"))
            }),
        }
    };
    if let Some(n) = parse("x-amz-decoded-content-length")? {
        return Ok(Some(n));
    }
    let streaming = header(h, "x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"));
    if streaming {
        return Err(S3Error::new(S3ErrorCode::MissingContentLength));
    }
    let len = parse("content-length")?;
    if len.is_none() && !h.contains_key(http::header::TRANSFER_ENCODING) {
        return Err(S3Error::new(S3ErrorCode::MissingContentLength));
    }
    Ok(len)
}

/// The headers describing an object on GET and HEAD.
pub(crate) fn object_headers(r: &mut HttpResponse, obj: &ObjectRecord) {
    set_header(r, "etag", &quote_etag(&obj.etag));
    set_header(r, "last-modified", &http_date(obj.last_modified));
    set_header(r, "accept-ranges", "bytes");
    let c = &obj.content;
    set_header(
        r,
        "content-type",
        c.content_type.as_deref().unwrap_or("binary/octet-stream"),
    );
    let optional = [
        ("content-encoding", &c.content_encoding),
        ("content-disposition", &c.content_disposition),
        ("content-language", &c.content_language),
        ("cache-control", &c.cache_control),
        ("expires", &c.expires),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            set_header(r, name, v);
        }
    }
    for (k, v) in &obj.user_meta {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(format!("x-amz-meta-{k}").as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            r.headers_mut().insert(name, value);
        }
    }
    if obj.storage_class != StorageClass::Standard {
        set_header(r, "x-amz-storage-class", obj.storage_class.as_str());
    }
    if !obj.parts.is_empty() {
        set_header(r, "x-amz-mp-parts-count", &obj.parts.len().to_string());
    }
}

/// The stored checksum headers, for responses that carry them.
pub(crate) fn checksum_headers(r: &mut HttpResponse, checksum: Option<&tessera_types::Checksum>) {
    if let Some(c) = checksum {
        set_header(r, c.algorithm.header_name(), &c.value);
        set_header(r, "x-amz-checksum-type", c.kind.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_chunked_is_not_stored_as_content_encoding() {
        assert_eq!(strip_aws_chunked("aws-chunked"), "");
        assert_eq!(strip_aws_chunked("gzip, aws-chunked"), "gzip");
        assert_eq!(strip_aws_chunked("aws-chunked,gzip"), "gzip");
    }

    #[test]
    fn metadata_limit_is_enforced() {
        let mut h = http::HeaderMap::new();
        h.insert("x-amz-meta-a", "1".parse().unwrap());
        assert_eq!(user_metadata(&h).unwrap(), vec![("a".into(), "1".into())]);
        h.insert("x-amz-meta-big", "x".repeat(3000).parse().unwrap());
        assert_eq!(
            user_metadata(&h).unwrap_err().code,
            S3ErrorCode::MetadataTooLarge
        );
    }

    #[test]
    fn content_md5_must_be_16_bytes_of_base64() {
        let mut h = http::HeaderMap::new();
        h.insert("content-md5", "bm90IG1kNQ==".parse().unwrap());
        assert_eq!(
            content_md5(&h).unwrap_err().code,
            S3ErrorCode::InvalidDigest
        );
        h.insert("content-md5", "XrY7u+Ae7tCTyyK7j1rNww==".parse().unwrap());
        assert!(content_md5(&h).unwrap().is_some());
    }
}
