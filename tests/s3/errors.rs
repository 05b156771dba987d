//! Bad input gets the right S3 error, never a panic or a hang.

use crate::{code, setup};
use aws_sdk_s3::primitives::ByteStream;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn malformed_xml() {
    let (s, c) = setup("xml").await;
    let raw = s.raw();
    let up = c
        .create_multipart_upload()
        .bucket("xml")
        .key("k")
        .send()
        .await
        .unwrap();
    let path = format!("/xml/k?uploadId={}", up.upload_id().unwrap());
    for body in [
        "",
        "<CompleteMultipartUpload><Part>",
        "not xml at all",
        "<CompleteMultipartUpload></CompleteMultipartUpload>",
    ] {
        let r = raw.signed("POST", &path, &[], body.to_string(), None).await;
        assert_eq!(r.status, 400, "{body:?}: {}", r.text());
        assert_eq!(r.error_code().as_deref(), Some("MalformedXML"), "{body:?}");
    }
    let r = raw
        .signed(
            "PUT",
            "/newbucket",
            &[],
            "<CreateBucketConfiguration><Location",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("MalformedXML"));
    let r = raw
        .signed(
            "POST",
            "/xml?delete",
            &[],
            "<Delete><Object></Delete>",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("MalformedXML"));
}

#[tokio::test]
async fn unknown_and_unsupported_requests() {
    let (s, _c) = setup("ops").await;
    let raw = s.raw();
    let r = raw.signed("GET", "/ops?tagging", &[], "", None).await;
    assert_eq!(r.status, 501);
    assert_eq!(r.error_code().as_deref(), Some("NotImplemented"));
    let r = raw.signed("POST", "/ops/k", &[], "", None).await;
    assert!(
        matches!(
            r.error_code().as_deref(),
            Some("MethodNotAllowed") | Some("NotImplemented")
        ),
        "{}",
        r.text()
    );
    let r = raw
        .signed(
            "PUT",
            "/ops/k",
            &[("x-amz-content-sha256", "garbage")],
            "",
            Some("garbage"),
        )
        .await;
    assert!(r.status == 400 || r.status == 403, "{}", r.text());
}

#[tokio::test]
async fn missing_content_length() {
    let (s, _c) = setup("len").await;
    let r = s
        .raw()
        .signed(
            "PUT",
            "/len/k",
            &[("x-amz-decoded-content-length", "5")],
            "hello",
            Some("STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
}

/// A client that announces more bytes than it sends, then stops sending.
#[tokio::test]
async fn truncated_body_is_refused_and_not_stored() {
    let (s, c) = setup("trunc").await;
    let raw = s.raw();
    let mut headers = http::HeaderMap::new();
    headers.insert("host", s.s3_addr.to_string().parse().unwrap());
    headers.insert("content-length", "100000".parse().unwrap());
    let uri: http::Uri = raw.url("/trunc/k").parse().unwrap();
    tessera_s3_protocol::auth::client::sign_request(
        &http::Method::PUT,
        &uri,
        &mut headers,
        "UNSIGNED-PAYLOAD",
        &raw.params(),
    )
    .unwrap();
    let mut req = String::from("PUT /trunc/k HTTP/1.1\r\n");
    for (k, v) in &headers {
        req.push_str(&format!("{}: {}\r\n", k, v.to_str().unwrap()));
    }
    req.push_str("\r\nonly a few bytes");
    let mut sock = tokio::net::TcpStream::connect(s.s3_addr).await.unwrap();
    sock.write_all(req.as_bytes()).await.unwrap();
    sock.shutdown().await.unwrap();
    let mut resp = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), sock.read_to_end(&mut resp))
        .await
        .expect("server answered or closed");
    let text = String::from_utf8_lossy(&resp);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    let err = c
        .get_object()
        .bucket("trunc")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test]
async fn error_bodies_carry_request_ids() {
    let (s, c) = setup("ids").await;
    let r = s.raw().signed("GET", "/ids/missing", &[], "", None).await;
    assert_eq!(r.status, 404);
    let id = r.header("x-amz-request-id").unwrap().to_string();
    assert!(
        r.text().contains(&format!("<RequestId>{id}</RequestId>")),
        "{}",
        r.text()
    );
    assert!(r.text().contains("<Code>NoSuchKey</Code>"));
    assert!(r.text().contains("<Key>missing</Key>"));
    let err = c
        .put_object()
        .bucket("ids")
        .key("")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert!(err.is_err(), "an empty key is not an object");
}

#[tokio::test]
async fn unsupported_write_features_are_refused_not_ignored() {
    let (_s, c) = setup("nofeat").await;
    let err = c
        .put_object()
        .bucket("nofeat")
        .key("k")
        .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    let err = c
        .put_object()
        .bucket("nofeat")
        .key("k")
        .tagging("a=b")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NotImplemented");
    let err = c
        .get_object()
        .bucket("nofeat")
        .key("k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey", "nothing was stored");
}
