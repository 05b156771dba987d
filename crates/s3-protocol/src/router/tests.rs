#![allow(clippy::unwrap_used)]

use super::*;
use crate::error::S3ErrorCode;
use http::{HeaderValue, Method};

const DOMAIN: &str = "s3.example.com";

fn cfg() -> RouterConfig {
    RouterConfig {
        domains: vec![DOMAIN.to_string()],
    }
}

/// Routes `method target` with an optional copy source, path-style (Host
/// `localhost:9000`) or virtual-hosted-style (Host `<bucket>.s3.example.com`).
fn run(method: &str, host: &str, target: &str, copy: bool) -> Result<Route, S3Error> {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let uri: Uri = target.parse().unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(http::header::HOST, HeaderValue::from_str(host).unwrap());
    if copy {
        headers.insert("x-amz-copy-source", HeaderValue::from_static("src/key"));
    }
    route(&method, &uri, &headers, &cfg())
}

/// Asserts that `method path?query` routes to `endpoint` with `bucket` and
/// `key`, both path-style (`/bucket/key?query`) and virtual-hosted-style
/// (Host `bucket.s3.example.com`, `/key?query`).
fn both(
    method: &str,
    bucket: Option<&str>,
    raw_key: &str,
    query: &str,
    copy: bool,
    endpoint: Endpoint,
    key: Option<&str>,
) {
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let (path_target, vhost) = match bucket {
        Some(b) => (format!("/{b}/{raw_key}{q}"), format!("{b}.{DOMAIN}")),
        None => (format!("/{q}"), DOMAIN.to_string()),
    };
    let path_target = if bucket.is_some() && raw_key.is_empty() {
        format!("/{}{q}", bucket.unwrap_or_default())
    } else {
        path_target
    };
    let vhost_target = format!("/{raw_key}{q}");
    for (host, target) in [
        ("localhost:9000", &path_target),
        (vhost.as_str(), &vhost_target),
    ] {
        let r = run(method, host, target, copy)
            .unwrap_or_else(|e| panic!("{method} {host} {target}: {e}"));
        assert_eq!(r.endpoint, endpoint, "{method} {host} {target}");
        assert_eq!(r.bucket.as_deref(), bucket, "{method} {host} {target}");
        assert_eq!(r.key.as_deref(), key, "{method} {host} {target}");
    }
}

fn err(method: &str, host: &str, target: &str, copy: bool) -> S3ErrorCode {
    match run(method, host, target, copy) {
        Ok(r) => panic!("{method} {host} {target}: expected an error, got {r:?}"),
        Err(e) => e.code,
    }
}

#[test]
fn service_endpoints() {
    for host in [
        "localhost",
        "localhost:9000",
        "127.0.0.1:9000",
        "[::1]:9000",
        DOMAIN,
        "s3.example.com:9000",
        "other.org",
    ] {
        let r = run("GET", host, "/", false).unwrap();
        assert_eq!(
            (r.endpoint, r.bucket, r.key),
            (Endpoint::ListBuckets, None, None),
            "{host}"
        );
    }
    let r = run(
        "GET",
        "localhost",
        "/?x-id=ListBuckets&max-buckets=10",
        false,
    )
    .unwrap();
    assert_eq!(r.endpoint, Endpoint::ListBuckets);
    assert_eq!(r.query("max-buckets"), Some("10"));
    assert_eq!(
        run("OPTIONS", "localhost", "/", false).unwrap().endpoint,
        Endpoint::Options
    );
    for m in ["PUT", "POST", "DELETE", "HEAD", "PATCH"] {
        assert_eq!(
            err(m, "localhost", "/", false),
            S3ErrorCode::MethodNotAllowed,
            "{m}"
        );
    }
}

#[test]
fn bucket_endpoints() {
    use Endpoint as E;
    let b = Some("bucket");
    let table: &[(&str, &str, Endpoint)] = &[
        ("PUT", "", E::CreateBucket),
        ("DELETE", "", E::DeleteBucket),
        ("HEAD", "", E::HeadBucket),
        ("GET", "location", E::GetBucketLocation),
        ("GET", "versioning", E::GetBucketVersioning),
        ("GET", "", E::ListObjects),
        (
            "GET",
            "delimiter=%2F&encoding-type=url&marker=m&max-keys=2&prefix=photos%2F",
            E::ListObjects,
        ),
        ("GET", "list-type=2", E::ListObjectsV2),
        (
            "GET",
            "list-type=2&continuation-token=abc&fetch-owner=true&start-after=x",
            E::ListObjectsV2,
        ),
        ("GET", "list-type=1", E::ListObjects),
        ("GET", "versions", E::ListObjectVersions),
        (
            "GET",
            "versions&prefix=a&key-marker=k&version-id-marker=v",
            E::ListObjectVersions,
        ),
        ("GET", "uploads", E::ListMultipartUploads),
        (
            "GET",
            "uploads&max-uploads=3&key-marker=k&upload-id-marker=u",
            E::ListMultipartUploads,
        ),
        ("POST", "delete", E::DeleteObjects),
        ("POST", "delete=", E::DeleteObjects),
        ("GET", "policy", E::GetBucketPolicy),
        ("PUT", "policy", E::PutBucketPolicy),
        ("DELETE", "policy", E::DeleteBucketPolicy),
        ("GET", "acl", E::GetBucketAcl),
        ("PUT", "acl", E::PutBucketAcl),
        ("GET", "cors", E::GetBucketCors),
        ("PUT", "cors", E::PutBucketCors),
        ("DELETE", "cors", E::DeleteBucketCors),
        ("GET", "website", E::GetBucketWebsite),
        ("PUT", "website", E::PutBucketWebsite),
        ("DELETE", "website", E::DeleteBucketWebsite),
        ("GET", "replication", E::GetBucketReplication),
        ("PUT", "replication", E::PutBucketReplication),
        ("DELETE", "replication", E::DeleteBucketReplication),
        ("GET", "notification", E::GetBucketNotificationConfiguration),
        ("PUT", "notification", E::PutBucketNotificationConfiguration),
        ("OPTIONS", "", E::Options),
        // SDK decorations and unknown parameters do not change the operation.
        (
            "GET",
            "x-id=GetBucketLocation&location",
            E::GetBucketLocation,
        ),
        ("GET", "location=", E::GetBucketLocation),
        ("PUT", "unknown-param=1", E::CreateBucket),
    ];
    for (method, query, endpoint) in table {
        both(method, b, "", query, false, *endpoint, None);
    }
    // A trailing slash names the bucket, not an empty key.
    let r = run("GET", "localhost", "/bucket/", false).unwrap();
    assert_eq!(
        (r.endpoint, r.bucket.as_deref(), r.key),
        (E::ListObjects, b, None)
    );
    let r = run("PUT", "localhost", "/bucket/?cors", false).unwrap();
    assert_eq!((r.endpoint, r.key), (E::PutBucketCors, None));
    let r = run("HEAD", "bucket.s3.example.com", "/", false).unwrap();
    assert_eq!((r.endpoint, r.bucket.as_deref()), (E::HeadBucket, b));
    // Dotted buckets, upper-case hosts and ports.
    let r = run(
        "GET",
        "My.Bucket.S3.Example.com:9000",
        "/?list-type=2",
        false,
    )
    .unwrap();
    assert_eq!(
        (r.endpoint, r.bucket.as_deref()),
        (E::ListObjectsV2, Some("my.bucket"))
    );
    // A host under no configured domain is path-style.
    let r = run("GET", "bucket.other.org", "/b2", false).unwrap();
    assert_eq!((r.bucket.as_deref(), r.key), (Some("b2"), None));
}

#[test]
fn object_endpoints() {
    use Endpoint as E;
    let b = Some("bucket");
    let table: &[(&str, &str, bool, Endpoint)] = &[
        ("GET", "", false, E::GetObject),
        (
            "GET",
            "versionId=v1&partNumber=1&response-content-type=text%2Fplain",
            false,
            E::GetObject,
        ),
        (
            "GET",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc",
            false,
            E::GetObject,
        ),
        ("HEAD", "", false, E::HeadObject),
        ("HEAD", "partNumber=2", false, E::HeadObject),
        ("PUT", "", false, E::PutObject),
        ("PUT", "x-id=PutObject", false, E::PutObject),
        ("PUT", "", true, E::CopyObject),
        ("DELETE", "", false, E::DeleteObject),
        ("DELETE", "versionId=v1", false, E::DeleteObject),
        ("POST", "uploads", false, E::CreateMultipartUpload),
        ("POST", "uploads=", false, E::CreateMultipartUpload),
        ("PUT", "partNumber=1&uploadId=u-1", false, E::UploadPart),
        ("PUT", "uploadId=u-1&partNumber=1", false, E::UploadPart),
        ("PUT", "partNumber=1&uploadId=u-1", true, E::UploadPartCopy),
        ("POST", "uploadId=u-1", false, E::CompleteMultipartUpload),
        ("DELETE", "uploadId=u-1", false, E::AbortMultipartUpload),
        ("GET", "uploadId=u-1", false, E::ListParts),
        (
            "GET",
            "uploadId=u-1&max-parts=2&part-number-marker=1",
            false,
            E::ListParts,
        ),
        ("GET", "acl", false, E::GetObjectAcl),
        ("PUT", "acl", false, E::PutObjectAcl),
        ("PUT", "acl", true, E::PutObjectAcl),
        ("OPTIONS", "", false, E::Options),
    ];
    for (method, query, copy, endpoint) in table {
        both(
            method,
            b,
            "photos/2006/puppy.jpg",
            query,
            *copy,
            *endpoint,
            Some("photos/2006/puppy.jpg"),
        );
    }
}

#[test]
fn keys_are_decoded_and_kept_as_addressed() {
    let cases: &[(&str, &str)] = &[
        ("key", "key"),
        ("my%20key%20with%20spaces.txt", "my key with spaces.txt"),
        ("a+b", "a+b"),
        ("a%2Bb", "a+b"),
        ("dir%2Fsub%2Ffile", "dir/sub/file"),
        ("dir/sub/file", "dir/sub/file"),
        ("a//b", "a//b"),
        ("dir/", "dir/"),
        ("dir//", "dir//"),
        ("%2F", "/"),
        ("/leading", "/leading"),
        ("%E2%82%AC%20%F0%9F%98%80%20%E6%97%A5%E6%9C%AC", "€ 😀 日本"),
        ("%C3%BCber", "über"),
        ("%3Fquestion%23hash%26amp%3D", "?question#hash&amp="),
        ("100%25", "100%"),
        ("~tilde!$'()*,;:@", "~tilde!$'()*,;:@"),
        ("..%2F..%2Fetc", "../../etc"),
        ("%00nul", "\0nul"),
    ];
    for (raw, key) in cases {
        both(
            "GET",
            Some("bucket"),
            raw,
            "",
            false,
            Endpoint::GetObject,
            Some(key),
        );
        both(
            "PUT",
            Some("bucket"),
            raw,
            "",
            false,
            Endpoint::PutObject,
            Some(key),
        );
    }
}

#[test]
fn query_values_are_decoded() {
    let r = run(
        "GET",
        "localhost",
        "/bucket?list-type=2&prefix=a%20b%2Bc+d&delimiter=%2F&start-after=%E2%82%AC",
        false,
    )
    .unwrap();
    assert_eq!(r.endpoint, Endpoint::ListObjectsV2);
    assert_eq!(r.query("prefix"), Some("a b+c d"));
    assert_eq!(r.query("delimiter"), Some("/"));
    assert_eq!(r.query("start-after"), Some("€"));
    assert_eq!(r.query("max-keys"), None);
    assert!(r.has_query("list-type"));
    assert!(!r.has_query("List-Type"));
    let r = run("POST", "localhost", "/bucket/k?uploads", false).unwrap();
    assert_eq!(r.query("uploads"), Some(""));
    assert!(r.has_query("uploads"));
}

#[test]
fn unsupported_subresources_are_not_implemented() {
    for sub in UNSUPPORTED_SUBRESOURCES {
        for (method, target) in [
            ("GET", format!("/bucket?{sub}")),
            ("PUT", format!("/bucket?{sub}")),
            ("DELETE", format!("/bucket?{sub}")),
            ("GET", format!("/bucket/key?{sub}")),
            ("PUT", format!("/bucket/key?{sub}=")),
            ("POST", format!("/bucket/key?{sub}")),
        ] {
            assert_eq!(
                err(method, "localhost", &target, false),
                S3ErrorCode::NotImplemented,
                "{method} {target}"
            );
        }
    }
    assert_eq!(
        err(
            "POST",
            "localhost",
            "/bucket/key?select&select-type=2",
            false
        ),
        S3ErrorCode::NotImplemented
    );
    assert_eq!(
        err("PUT", "localhost", "/bucket?versioning", false),
        S3ErrorCode::NotImplemented
    );
    assert_eq!(
        err("PUT", "bucket.s3.example.com", "/?lifecycle", false),
        S3ErrorCode::NotImplemented
    );
    // Browser-based POST upload.
    assert_eq!(
        err("POST", "localhost", "/bucket", false),
        S3ErrorCode::NotImplemented
    );
}

#[test]
fn methods_not_allowed() {
    for (method, target) in [
        ("POST", "/bucket/key"),
        ("PATCH", "/bucket/key"),
        ("PATCH", "/bucket"),
        ("TRACE", "/bucket"),
        ("DELETE", "/bucket?acl"),
        ("DELETE", "/bucket?notification"),
    ] {
        assert_eq!(
            err(method, "localhost", target, false),
            S3ErrorCode::MethodNotAllowed,
            "{method} {target}"
        );
    }
    let e = run("PATCH", "localhost", "/bucket/key", false).unwrap_err();
    assert_eq!(e.status().as_u16(), 405);
    assert!(e.extra.contains(&("Method", "PATCH".to_string())));
}

#[test]
fn malformed_uris() {
    for target in [
        "/bucket/%zz",
        "/bucket/a%2",
        "/bucket/%C3%28",
        "/bucket/%FF",
        "/bucket?prefix=%G1",
        "/b%ZZ/key",
        "//key",
    ] {
        assert_eq!(
            err("GET", "localhost", target, false),
            S3ErrorCode::InvalidURI,
            "{target}"
        );
    }
    assert_eq!(
        err("GET", "bucket.s3.example.com", "/%FF", false),
        S3ErrorCode::InvalidURI
    );
}

#[test]
fn authority_is_used_without_host_header() {
    let uri: Uri = "http://bucket.s3.example.com/key?acl".parse().unwrap();
    let r = route(&Method::GET, &uri, &HeaderMap::new(), &cfg()).unwrap();
    assert_eq!(r.endpoint, Endpoint::GetObjectAcl);
    assert_eq!(
        (r.bucket.as_deref(), r.key.as_deref()),
        (Some("bucket"), Some("key"))
    );
    let uri: Uri = "/bucket/key".parse().unwrap();
    let r = route(
        &Method::GET,
        &uri,
        &HeaderMap::new(),
        &RouterConfig::default(),
    )
    .unwrap();
    assert_eq!(
        (r.bucket.as_deref(), r.key.as_deref()),
        (Some("bucket"), Some("key"))
    );
}

#[test]
fn endpoint_names() {
    assert_eq!(Endpoint::PutObject.name(), "PutObject");
    assert_eq!(
        Endpoint::GetBucketNotificationConfiguration.to_string(),
        "GetBucketNotificationConfiguration"
    );
    assert_eq!(Endpoint::ALL.len(), 41);
    let mut names: Vec<&str> = Endpoint::ALL.iter().map(Endpoint::name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Endpoint::ALL.len());
}
