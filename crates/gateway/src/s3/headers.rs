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

/// Refuses a write that asks for a feature Tessera does not implement:
/// server-side encryption, object lock, tagging. Used by CreateBucket,
/// PutObject, CopyObject and CreateMultipartUpload.
pub(crate) fn reject_unsupported(h: &http::HeaderMap) -> Result<(), S3Error> {
    let refuse = |name: &str, message: String| {
        S3Error::with_message(S3ErrorCode::NotImplemented, message).extra("Header", name)
    };
    for (name, feature) in UNSUPPORTED_WRITE_HEADERS {
        if h.contains_key(name) {
            return Err(refuse(
                name,
                format!("{feature} ({name}) is not supported by Tessera."),
            ));
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
///
/// Values are stored byte-exact. HTTP header values are octets, which
/// HTTP/1.1 (and clients such as botocore) read as ISO-8859-1; each byte
/// is kept as the char U+0000..=U+00FF of the same number, and
/// [`object_headers`] turns each char back into its byte. So whatever was
/// sent — Latin-1 `E9`, or the UTF-8 `C3 A9` of "é" — comes back as the
/// same bytes. The 2 KiB limit counts bytes as received.
pub(crate) fn user_metadata(h: &http::HeaderMap) -> Result<Vec<(String, String)>, S3Error> {
    let mut out = Vec::new();
    let mut size = 0;
    for (name, value) in h {
        if let Some(n) = name.as_str().strip_prefix("x-amz-meta-") {
            let bytes = value.as_bytes();
            size += n.len() + bytes.len();
            out.push((
                n.to_string(),
                bytes.iter().map(|&b| char::from(b)).collect(),
            ));
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

/// Whether a write carries `x-amz-replication-status: REPLICA`: a copy made
/// by a replication worker (Tessera's, writing to this cluster as a remote).
/// Any other value is refused.
pub(crate) fn replica_write(h: &http::HeaderMap) -> Result<bool, S3Error> {
    match header(h, "x-amz-replication-status") {
        None => Ok(false),
        Some(v) if v.trim().eq_ignore_ascii_case("REPLICA") => Ok(true),
        Some(v) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "x-amz-replication-status may only be REPLICA on a write.",
        )
        .extra("ArgumentName", "x-amz-replication-status")
        .extra("ArgumentValue", v)),
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
            http::HeaderValue::from_bytes(&metadata_bytes(v)),
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
    if let Some(status) = obj.replication_status {
        set_header(r, "x-amz-replication-status", status.as_str());
    }
}

/// The header bytes of a stored metadata value (see [`user_metadata`]):
/// each char U+0000..=U+00FF is its byte. A char beyond U+00FF can only come
/// from a value stored before values were kept byte-exact (they were then
/// decoded as UTF-8); it is written as UTF-8, as it was then.
fn metadata_bytes(v: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    for c in v.chars() {
        match u8::try_from(c) {
            Ok(b) => out.push(b),
            Err(_) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
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
    fn metadata_values_are_byte_exact() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "x-amz-meta-latin1",
            http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        h.insert("x-amz-meta-utf8", "caf\u{e9}".parse().unwrap());
        let meta = user_metadata(&h).unwrap();
        let bytes: Vec<Vec<u8>> = meta.iter().map(|(_, v)| metadata_bytes(v)).collect();
        assert_eq!(bytes, [b"caf\xe9".to_vec(), b"caf\xc3\xa9".to_vec()]);
        // Values stored before (decoded as UTF-8) still come back as UTF-8.
        assert_eq!(metadata_bytes("\u{d55c}"), "\u{d55c}".as_bytes());
        // The limit counts bytes as received: name "a" and 1023 two-byte
        // UTF-8 chars fit in 2048 bytes, 1024 do not.
        let mut h = http::HeaderMap::new();
        h.insert("x-amz-meta-a", "\u{e9}".repeat(1023).parse().unwrap());
        assert!(user_metadata(&h).is_ok());
        h.insert("x-amz-meta-a", "\u{e9}".repeat(1024).parse().unwrap());
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
