//! Validation of bucket names, object keys and the `x-amz-copy-source`
//! header.

use crate::error::{S3Error, S3ErrorCode};
use percent_encoding::percent_decode_str;

/// The longest key S3 accepts, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

const RESERVED_PREFIXES: [&str; 3] = ["xn--", "sthree-", "amzn-s3-demo-"];
const RESERVED_SUFFIXES: [&str; 5] = ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"];

/// Checks a bucket name against the AWS general-purpose bucket naming rules:
/// 3 to 63 characters of lowercase letters, digits, `.` and `-`; beginning
/// and ending with a letter or digit; no `..`, `.-` or `-.` (every
/// dot-separated label is a valid DNS label, so virtual-hosted-style
/// addressing works); not formatted as an IPv4 address; not using a prefix or
/// suffix AWS reserves (`xn--`, `sthree-`, `amzn-s3-demo-`, `-s3alias`,
/// `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3`).
///
/// Fails with `InvalidBucketName` (400), carrying the name as `BucketName`.
pub fn validate_bucket_name(name: &str) -> Result<(), S3Error> {
    if is_valid_bucket_name(name) {
        Ok(())
    } else {
        Err(S3Error::new(S3ErrorCode::InvalidBucketName).extra("BucketName", name))
    }
}

fn is_valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    let edge_ok = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !edge_ok(b.first()) || !edge_ok(b.last()) {
        return false;
    }
    if !b
        .iter()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
    {
        return false;
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return false;
    }
    if looks_like_ipv4(name) {
        return false;
    }
    !RESERVED_PREFIXES.iter().any(|p| name.starts_with(p))
        && !RESERVED_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Four dot-separated groups of digits, like `192.168.5.4` (or `999.1.1.1`,
/// which AWS refuses too).
fn looks_like_ipv4(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() == 4
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.bytes().all(|c| c.is_ascii_digit()))
}

/// Checks an object key: 1 to 1024 bytes of UTF-8 (a `&str` is UTF-8
/// already). An empty key is `InvalidArgument`, a longer one
/// `KeyTooLongError`.
pub fn validate_object_key(key: &str) -> Result<(), S3Error> {
    if key.is_empty() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Object key must not be empty",
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::new(S3ErrorCode::KeyTooLongError)
            .extra("MaxSizeAllowed", MAX_KEY_LEN.to_string())
            .extra("Size", key.len().to_string()));
    }
    Ok(())
}

/// The source of a CopyObject or UploadPartCopy, from `x-amz-copy-source`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopySource {
    /// The source bucket.
    pub bucket: String,
    /// The source key, percent-decoded.
    pub key: String,
    /// The `versionId` given after `?versionId=`, if any.
    pub version_id: Option<String>,
}

/// Parses `x-amz-copy-source` into (bucket, key), dropping any
/// `?versionId=`. See [`parse_copy_source_version`].
pub fn parse_copy_source(header: &str) -> Result<(String, String), S3Error> {
    let src = parse_copy_source_version(header)?;
    Ok((src.bucket, src.key))
}

/// Parses `x-amz-copy-source`: `bucket/key` or `/bucket/key`, URL-encoded
/// (`%XX` decoded, `+` kept as a plus), optionally followed by
/// `?versionId=<id>`. Access-point ARNs are not supported.
///
/// Fails with `InvalidArgument` (ArgumentName `x-amz-copy-source`) when the
/// bucket or key is missing, the encoding is malformed or not UTF-8.
pub fn parse_copy_source_version(header: &str) -> Result<CopySource, S3Error> {
    let invalid = |msg: &str| {
        S3Error::with_message(S3ErrorCode::InvalidArgument, msg)
            .extra("ArgumentName", "x-amz-copy-source")
            .extra("ArgumentValue", header)
    };
    let (path, version_id) = match header.rfind("?versionId=") {
        Some(i) => {
            let v = &header[i + "?versionId=".len()..];
            let v = decode(v).ok_or_else(|| invalid("Invalid version id specified"))?;
            if v.is_empty() {
                return Err(invalid("Invalid version id specified"));
            }
            (&header[..i], Some(v))
        }
        None => (header, None),
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    let must_mention = "Copy Source must mention the source bucket and key: sourcebucket/sourcekey";
    let (bucket, key) = path.split_once('/').ok_or_else(|| invalid(must_mention))?;
    let bucket = decode(bucket).ok_or_else(|| invalid("Invalid copy source encoding"))?;
    let key = decode(key).ok_or_else(|| invalid("Invalid copy source encoding"))?;
    if bucket.is_empty() || key.is_empty() {
        return Err(invalid(must_mention));
    }
    Ok(CopySource {
        bucket,
        key,
        version_id,
    })
}

/// Strict percent-decoding: `None` on a `%` not followed by two hex digits or
/// on invalid UTF-8.
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'%'
            && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return None;
        }
    }
    percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_bucket_names() {
        for n in [
            "abc",
            "my-bucket",
            "my.bucket.name",
            "a1b2c3",
            "123",
            "docexamplebucket1",
            "log-delivery-march-2020",
            "my-hosted-content",
            "1.2.3",
            "1.2.3.4.5",
            &"a".repeat(63),
        ] {
            assert!(validate_bucket_name(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn bad_bucket_names() {
        for n in [
            "",
            "ab",
            &"a".repeat(64),
            "My-Bucket",
            "my_bucket",
            "-bucket",
            "bucket-",
            ".bucket",
            "bucket.",
            "my..bucket",
            "my.-bucket",
            "my-.bucket",
            "192.168.5.4",
            "999.1.1.1",
            "xn--bucket",
            "sthree-bucket",
            "sthree-configurator",
            "amzn-s3-demo-bucket",
            "bucket-s3alias",
            "bucket--ol-s3",
            "bucket.mrap",
            "bucket--x-s3",
            "bucket--table-s3",
            "bück",
            "a b c",
            "abc/def",
        ] {
            let e = validate_bucket_name(n).err();
            assert_eq!(
                e.map(|e| e.code),
                Some(S3ErrorCode::InvalidBucketName),
                "{n}"
            );
        }
    }

    #[test]
    fn object_keys() {
        assert!(validate_object_key("a").is_ok());
        assert!(validate_object_key("ünïcødé/ key with spaces ").is_ok());
        assert!(validate_object_key(&"k".repeat(1024)).is_ok());
        // 512 two-byte characters: 1024 bytes.
        assert!(validate_object_key(&"é".repeat(512)).is_ok());
        let long = validate_object_key(&"é".repeat(513)).err().map(|e| e.code);
        assert_eq!(long, Some(S3ErrorCode::KeyTooLongError));
        let long = validate_object_key(&"k".repeat(1025)).err().map(|e| e.code);
        assert_eq!(long, Some(S3ErrorCode::KeyTooLongError));
        let empty = validate_object_key("").err().map(|e| e.code);
        assert_eq!(empty, Some(S3ErrorCode::InvalidArgument));
    }

    fn ok(h: &str) -> CopySource {
        match parse_copy_source_version(h) {
            Ok(s) => s,
            Err(e) => panic!("{h}: {e}"),
        }
    }

    #[test]
    fn copy_sources() {
        let s = ok("bucket/key");
        assert_eq!((s.bucket.as_str(), s.key.as_str()), ("bucket", "key"));
        assert_eq!(s.version_id, None);
        let s = ok("/bucket/dir/sub/key.txt");
        assert_eq!(
            (s.bucket.as_str(), s.key.as_str()),
            ("bucket", "dir/sub/key.txt")
        );
        let s = ok("bucket/a%20b%2Fc+d%3Fe");
        assert_eq!(s.key, "a b/c+d?e");
        let s = ok("bucket/%E2%82%AC/x?versionId=3%2FL4kq");
        assert_eq!(s.key, "€/x");
        assert_eq!(s.version_id.as_deref(), Some("3/L4kq"));
        let s = ok("bucket//leading-slash-key");
        assert_eq!(s.key, "/leading-slash-key");
        assert_eq!(
            parse_copy_source("b/k?versionId=v1"),
            Ok(("b".to_string(), "k".to_string()))
        );
    }

    #[test]
    fn bad_copy_sources() {
        for h in [
            "",
            "/",
            "bucket",
            "/bucket",
            "bucket/",
            "/bucket/",
            "/key-without-bucket",
            "bucket/%zz",
            "bucket/%C3",
            "bucket/key?versionId=",
        ] {
            let e = parse_copy_source(h).err();
            assert_eq!(
                e.as_ref().map(|e| e.code),
                Some(S3ErrorCode::InvalidArgument),
                "{h}"
            );
            let extra = e.map(|e| e.extra).unwrap_or_default();
            assert!(extra.contains(&("ArgumentName", "x-amz-copy-source".to_string())));
        }
    }
}
