//! Signatures in every form: header, presigned, streaming chunked with and
//! without signed trailers; anonymous and wrong credentials.

use crate::{code, data, get, put, setup};
use aws_sdk_s3::presigning::PresigningConfig;
use std::time::{Duration, SystemTime};
use tessera_s3_protocol::auth::client::{
    encode_signed_chunks, encode_unsigned_chunks, sign_request, SigningParams,
};

fn path_of(url: &str) -> String {
    let u: http::Uri = url.parse().unwrap();
    u.path_and_query().unwrap().to_string()
}

#[tokio::test]
async fn presigned_get_and_put() {
    let (s, c) = setup("pre").await;
    put(&c, "pre", "k", "presigned body").await;
    let cfg = PresigningConfig::expires_in(Duration::from_secs(300)).unwrap();
    let url = c
        .get_object()
        .bucket("pre")
        .key("k")
        .presigned(cfg.clone())
        .await
        .unwrap();
    let r = s.raw().send("GET", &path_of(url.uri()), &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(&r.body[..], b"presigned body");

    let url = c
        .put_object()
        .bucket("pre")
        .key("up")
        .presigned(cfg)
        .await
        .unwrap();
    let r = s
        .raw()
        .send("PUT", &path_of(url.uri()), &[], "uploaded")
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(&c, "pre", "up").await, b"uploaded");
}

#[tokio::test]
async fn presigned_expiry_and_tampering() {
    let (s, c) = setup("pre").await;
    put(&c, "pre", "k", "v").await;
    let cfg = PresigningConfig::builder()
        .start_time(SystemTime::now() - Duration::from_secs(3600))
        .expires_in(Duration::from_secs(60))
        .build()
        .unwrap();
    let url = c
        .get_object()
        .bucket("pre")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let r = s.raw().send("GET", &path_of(url.uri()), &[], "").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code().as_deref(), Some("AccessDenied"));
    assert!(r.text().contains("expired"), "{}", r.text());

    let cfg = PresigningConfig::expires_in(Duration::from_secs(60)).unwrap();
    let url = c
        .get_object()
        .bucket("pre")
        .key("k")
        .presigned(cfg)
        .await
        .unwrap();
    let tampered = path_of(url.uri()).replace("/pre/k", "/pre/other");
    let r = s.raw().send("GET", &tampered, &[], "").await;
    assert_eq!(r.error_code().as_deref(), Some("SignatureDoesNotMatch"));
}

#[tokio::test]
async fn anonymous_and_wrong_credentials() {
    let (s, _c) = setup("priv").await;
    let r = s.raw().send("GET", "/priv/k", &[], "").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code().as_deref(), Some("AccessDenied"));
    assert!(r.text().contains("<RequestId>"));
    let r = s.raw().send("GET", "/", &[], "").await;
    assert_eq!(r.status, 403);

    let wrong = s.client_as(&s.access_key, "not-the-secret");
    let err = wrong.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err), "SignatureDoesNotMatch");
    let unknown = s.client_as("AKIDONTEXIST", "whatever");
    let err = unknown.list_buckets().send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidAccessKeyId");
}

#[tokio::test]
async fn clock_skew_is_refused() {
    let (s, _c) = setup("skew").await;
    let raw = s.raw();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", s.s3_addr.to_string().parse().unwrap());
    let params = SigningParams {
        now: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
        ..raw.params()
    };
    let uri: http::Uri = raw.url("/skew").parse().unwrap();
    sign_request(
        &http::Method::GET,
        &uri,
        &mut headers,
        "UNSIGNED-PAYLOAD",
        &params,
    )
    .unwrap();
    let r = raw
        .send_map("GET", "/skew", headers, bytes::Bytes::new())
        .await;
    assert_eq!(r.error_code().as_deref(), Some("RequestTimeTooSkewed"));
}

/// PUT with STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]: the body is
/// aws-chunked with a signature per chunk (and a signed trailer).
async fn streaming_put(
    s: &tessera_test_harness::TestServer,
    key: &str,
    body: &[u8],
    trailer: Option<(&str, &str)>,
    tamper: bool,
) -> tessera_test_harness::RawResponse {
    let raw = s.raw();
    let params = raw.params();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", s.s3_addr.to_string().parse().unwrap());
    headers.insert("content-encoding", "aws-chunked".parse().unwrap());
    headers.insert(
        "x-amz-decoded-content-length",
        body.len().to_string().parse().unwrap(),
    );
    let mode = if let Some((name, _)) = trailer {
        headers.insert("x-amz-trailer", name.parse().unwrap());
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    } else {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    };
    let path = format!("/stream/{key}");
    let uri: http::Uri = raw.url(&path).parse().unwrap();
    let trailers: Vec<(&str, &str)> = trailer.into_iter().collect();
    // Content-Length is signed, so compute the encoding first.
    let probe = encode_signed_chunks(body, 65536, &"0".repeat(64), &params, &trailers);
    headers.insert("content-length", probe.len().to_string().parse().unwrap());
    sign_request(&http::Method::PUT, &uri, &mut headers, mode, &params).unwrap();
    let auth = headers["authorization"].to_str().unwrap().to_string();
    let seed = auth.rsplit("Signature=").next().unwrap().to_string();
    let mut encoded = encode_signed_chunks(body, 65536, &seed, &params, &trailers);
    if tamper {
        let i = encoded.len() / 2;
        encoded[i] ^= 1;
    }
    raw.send_map("PUT", &path, headers, encoded.into()).await
}

#[tokio::test]
async fn streaming_signed_payload() {
    let (s, c) = setup("stream").await;
    let body = data(300_000, 21);
    let r = streaming_put(&s, "signed", &body, None, false).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(&c, "stream", "signed").await, body);

    let r = streaming_put(&s, "tampered", &body, None, true).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.error_code().as_deref(), Some("SignatureDoesNotMatch"));
    let err = c
        .get_object()
        .bucket("stream")
        .key("tampered")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test]
async fn streaming_signed_payload_with_trailer() {
    let (s, c) = setup("stream").await;
    let body = b"hello world".to_vec();
    let r = streaming_put(
        &s,
        "t",
        &body,
        Some(("x-amz-checksum-crc32", "DUoRhQ==")),
        false,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(&c, "stream", "t").await, body);
    let r = streaming_put(
        &s,
        "bad",
        &body,
        Some(("x-amz-checksum-crc32", "AAAAAA==")),
        false,
    )
    .await;
    assert_eq!(r.error_code().as_deref(), Some("BadDigest"), "{}", r.text());
}

#[tokio::test]
async fn streaming_unsigned_payload_with_trailer() {
    let (s, c) = setup("stream").await;
    let raw = s.raw();
    let body = data(200_000, 5);
    let crc = {
        let mut h = tessera_s3_protocol::checksum::ChecksumHasher::new(
            tessera_types::ChecksumAlgorithm::Crc32c,
        );
        h.update(&body);
        h.finalize_base64()
    };
    let encoded = encode_unsigned_chunks(&body, 8192, &[("x-amz-checksum-crc32c", &crc)]);
    let len = body.len().to_string();
    let enc_len = encoded.len().to_string();
    let r = raw
        .signed(
            "PUT",
            "/stream/u",
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-trailer", "x-amz-checksum-crc32c"),
                ("x-amz-decoded-content-length", &len),
                ("content-length", &enc_len),
            ],
            encoded.clone(),
            Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(&c, "stream", "u").await, body);

    // A body shorter than announced is IncompleteBody, and nothing is stored.
    let short = (body.len() + 10).to_string();
    let r = raw
        .signed(
            "PUT",
            "/stream/short",
            &[
                ("content-encoding", "aws-chunked"),
                ("x-amz-trailer", "x-amz-checksum-crc32c"),
                ("x-amz-decoded-content-length", &short),
                ("content-length", &enc_len),
            ],
            encoded,
            Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        )
        .await;
    assert_eq!(
        r.error_code().as_deref(),
        Some("IncompleteBody"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn payload_hash_is_verified() {
    let (s, _c) = setup("hash").await;
    let raw = s.raw();
    let wrong = "0".repeat(64);
    let r = raw
        .signed("PUT", "/hash/k", &[], "body", Some(&wrong))
        .await;
    assert_eq!(r.error_code().as_deref(), Some("XAmzContentSHA256Mismatch"));
    let r = raw.signed("PUT", "/hash/k", &[], "body", None).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn virtual_hosted_style() {
    let (s, c) = setup("vhost").await;
    put(&c, "vhost", "dir/k", "virtual").await;
    let raw = s.raw();
    let host = format!("vhost.s3.tessera.test:{}", s.s3_addr.port());
    let mut headers = http::HeaderMap::new();
    headers.insert("host", host.parse().unwrap());
    let uri: http::Uri = format!("http://{host}/dir/k").parse().unwrap();
    sign_request(
        &http::Method::GET,
        &uri,
        &mut headers,
        "UNSIGNED-PAYLOAD",
        &raw.params(),
    )
    .unwrap();
    let r = raw
        .send_map("GET", "/dir/k", headers, bytes::Bytes::new())
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(&r.body[..], b"virtual");
}

/// Signature Version 2, as boto3's `generate_presigned_url` still makes by
/// default, and as older tools send in the Authorization header.
#[tokio::test]
async fn signature_version_2_presigned_and_header() {
    use tessera_s3_protocol::auth::v2::{sign, string_to_sign};
    let (s, c) = setup("legacy").await;
    put(&c, "legacy", "k", "version two").await;
    let raw = s.raw();
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 300;
    let probe = http::Request::get("/legacy/k")
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let sig = sign(
        &s.secret_key,
        &string_to_sign(&probe, &expires.to_string(), None),
    );
    let enc: String = url_encode(&sig);
    let path = format!(
        "/legacy/k?AWSAccessKeyId={}&Expires={expires}&Signature={enc}",
        s.access_key
    );
    let r = raw.send("GET", &path, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(&r.body[..], b"version two");

    let old = time::OffsetDateTime::now_utc().unix_timestamp() - 10;
    let sig = sign(
        &s.secret_key,
        &string_to_sign(&probe, &old.to_string(), None),
    );
    let path = format!(
        "/legacy/k?AWSAccessKeyId={}&Expires={old}&Signature={}",
        s.access_key,
        url_encode(&sig)
    );
    let r = raw.send("GET", &path, &[], "").await;
    assert_eq!(r.error_code().as_deref(), Some("AccessDenied"));

    let date = httpdate_now();
    let put_parts = http::Request::put("/legacy/v2put")
        .header("content-type", "text/plain")
        .header("date", &date)
        .body(())
        .unwrap()
        .into_parts()
        .0;
    let sig = sign(&s.secret_key, &string_to_sign(&put_parts, &date, None));
    let auth = format!("AWS {}:{sig}", s.access_key);
    let r = raw
        .send(
            "PUT",
            "/legacy/v2put",
            &[
                ("content-type", "text/plain"),
                ("date", &date),
                ("authorization", &auth),
            ],
            "by header",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(get(&c, "legacy", "v2put").await, b"by header");
    let bad = format!("AWS {}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=", s.access_key);
    let r = raw
        .send(
            "GET",
            "/legacy/k",
            &[("date", &date), ("authorization", &bad)],
            "",
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("SignatureDoesNotMatch"));
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn httpdate_now() -> String {
    tessera_s3_protocol::fmt::http_date(time::OffsetDateTime::now_utc().unix_timestamp() * 1000)
}

/// botocore signs the resource of a bucket request as `/bucket/` whether the
/// URL is `/bucket` (path style) or `/` on the bucket's virtual host.
#[tokio::test]
async fn signature_version_2_bucket_resource_has_a_trailing_slash() {
    use tessera_s3_protocol::auth::v2::{sign, string_to_sign};
    let (s, c) = setup("legacy").await;
    put(&c, "legacy", "a/k", "x").await;
    let raw = s.raw();
    let bucket_resource = http::Request::get("/legacy/")
        .body(())
        .unwrap()
        .into_parts()
        .0;

    // ListObjects signed in the Authorization header.
    let date = httpdate_now();
    let sig = sign(
        &s.secret_key,
        &string_to_sign(&bucket_resource, &date, None),
    );
    let auth = format!("AWS {}:{sig}", s.access_key);
    let headers = [("date", date.as_str()), ("authorization", auth.as_str())];
    let r = raw.send("GET", "/legacy?prefix=a%2F", &headers, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Key>a/k</Key>"), "{}", r.text());

    // The same on the bucket's virtual host, path `/`.
    let vhost = format!("legacy.localhost:{}", s.s3_addr.port());
    let mut headers = headers.to_vec();
    headers.push(("host", &vhost));
    let r = raw.send("GET", "/?prefix=a%2F", &headers, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Key>a/k</Key>"), "{}", r.text());

    // A presigned ListObjects URL as boto3's generate_presigned_url makes it.
    let expires = time::OffsetDateTime::now_utc().unix_timestamp() + 300;
    let sig = sign(
        &s.secret_key,
        &string_to_sign(&bucket_resource, &expires.to_string(), None),
    );
    let path = format!(
        "/legacy?prefix=a%2F&AWSAccessKeyId={}&Expires={expires}&Signature={}",
        s.access_key,
        url_encode(&sig)
    );
    let r = raw.send("GET", &path, &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<Key>a/k</Key>"), "{}", r.text());
}
