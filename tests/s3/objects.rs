use crate::{code, data, get, md5_hex, put, setup, status};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::StorageClass;

#[tokio::test]
async fn put_get_head_sizes_byte_exact() {
    let (_s, c) = setup("sizes").await;
    // Inline, exactly one block (256 KiB in tests), several blocks, odd tail.
    for (i, len) in [
        0usize,
        1,
        4096,
        4097,
        256 * 1024,
        256 * 1024 + 1,
        3 * 256 * 1024 + 17,
        2_000_000,
    ]
    .into_iter()
    .enumerate()
    {
        let body = data(len, i as u64);
        let key = format!("obj-{len}");
        let etag = put(&c, "sizes", &key, body.clone()).await;
        assert_eq!(etag, format!("\"{}\"", md5_hex(&body)), "etag of {len}");
        assert_eq!(get(&c, "sizes", &key).await, body, "body of {len}");
        let head = c
            .head_object()
            .bucket("sizes")
            .key(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(head.content_length(), Some(len as i64));
        assert_eq!(head.e_tag(), Some(etag.as_str()));
    }
}

#[tokio::test]
async fn content_headers_and_user_metadata() {
    let (_s, c) = setup("hdrs").await;
    c.put_object()
        .bucket("hdrs")
        .key("doc.html")
        .body(ByteStream::from_static(b"<h1>hi</h1>"))
        .content_type("text/html")
        .content_encoding("identity")
        .content_disposition("attachment; filename=\"doc.html\"")
        .content_language("en")
        .cache_control("max-age=60")
        .metadata("color", "blue")
        .metadata("Shape", "round")
        .send()
        .await
        .unwrap();
    let o = c
        .get_object()
        .bucket("hdrs")
        .key("doc.html")
        .send()
        .await
        .unwrap();
    assert_eq!(o.content_type(), Some("text/html"));
    assert_eq!(o.content_encoding(), Some("identity"));
    assert_eq!(
        o.content_disposition(),
        Some("attachment; filename=\"doc.html\"")
    );
    assert_eq!(o.content_language(), Some("en"));
    assert_eq!(o.cache_control(), Some("max-age=60"));
    let meta = o.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("shape").map(String::as_str), Some("round"));
    assert!(o.last_modified().is_some());
    assert_eq!(o.accept_ranges(), Some("bytes"));
}

#[tokio::test]
async fn default_content_type_and_overwrite() {
    let (s, c) = setup("ovw").await;
    // Without a Content-Type (the SDK always sends one), S3 answers
    // binary/octet-stream.
    let r = s.raw().signed("PUT", "/ovw/k", &[], "first", None).await;
    assert_eq!(r.status, 200);
    let o = c.head_object().bucket("ovw").key("k").send().await.unwrap();
    assert_eq!(o.content_type(), Some("binary/octet-stream"));
    put(&c, "ovw", "k", data(600_000, 9)).await;
    assert_eq!(get(&c, "ovw", "k").await, data(600_000, 9));
    put(&c, "ovw", "k", "small again").await;
    assert_eq!(get(&c, "ovw", "k").await, b"small again");
}

#[tokio::test]
async fn storage_classes() {
    let (_s, c) = setup("classes").await;
    c.put_object()
        .bucket("classes")
        .key("rr")
        .storage_class(StorageClass::ReducedRedundancy)
        .body(ByteStream::from(data(300_000, 1)))
        .send()
        .await
        .unwrap();
    let h = c
        .head_object()
        .bucket("classes")
        .key("rr")
        .send()
        .await
        .unwrap();
    assert_eq!(h.storage_class(), Some(&StorageClass::ReducedRedundancy));
    let h = {
        put(&c, "classes", "std", "x").await;
        c.head_object()
            .bucket("classes")
            .key("std")
            .send()
            .await
            .unwrap()
    };
    assert_eq!(
        h.storage_class(),
        None,
        "STANDARD is not announced, as in AWS"
    );
    let err = c
        .put_object()
        .bucket("classes")
        .key("glacier")
        .storage_class(StorageClass::Glacier)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidStorageClass");
}

#[tokio::test]
async fn conditional_writes() {
    let (_s, c) = setup("cond").await;
    c.put_object()
        .bucket("cond")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"1"))
        .send()
        .await
        .unwrap();
    let err = c
        .put_object()
        .bucket("cond")
        .key("k")
        .if_none_match("*")
        .body(ByteStream::from_static(b"2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    assert_eq!(code(&err), "PreconditionFailed");
    let etag = format!("\"{}\"", md5_hex(b"1"));
    c.put_object()
        .bucket("cond")
        .key("k")
        .if_match(&etag)
        .body(ByteStream::from_static(b"3"))
        .send()
        .await
        .unwrap();
    let err = c
        .put_object()
        .bucket("cond")
        .key("k")
        .if_match(&etag)
        .body(ByteStream::from_static(b"4"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "PreconditionFailed");
    assert_eq!(get(&c, "cond", "k").await, b"3");
    let err = c
        .put_object()
        .bucket("cond")
        .key("nope")
        .if_match(&etag)
        .body(ByteStream::from_static(b"4"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
}

#[tokio::test]
async fn keys_with_unusual_characters() {
    let (_s, c) = setup("keys").await;
    for key in [
        "a b",
        "ümlaut/ñ",
        "x+y=z&w",
        "dir//double",
        "percent%20sign",
        "trailing/",
        "?query",
        "#hash",
        "emoji-😀",
        "tab\tkey",
    ] {
        put(&c, "keys", key, key.as_bytes().to_vec()).await;
        assert_eq!(get(&c, "keys", key).await, key.as_bytes(), "{key}");
    }
    let list = c.list_objects_v2().bucket("keys").send().await.unwrap();
    assert_eq!(list.key_count(), Some(10));
}

#[tokio::test]
async fn missing_objects_and_buckets() {
    let (_s, c) = setup("miss").await;
    let err = c
        .get_object()
        .bucket("miss")
        .key("none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    assert_eq!(status(&err), 404);
    let err = c
        .head_object()
        .bucket("miss")
        .key("none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 404);
    let err = c
        .get_object()
        .bucket("nobucket")
        .key("none")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
    let err = c
        .put_object()
        .bucket("nobucket")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn key_too_long() {
    let (_s, c) = setup("long").await;
    let key = "k".repeat(1025);
    let err = c
        .put_object()
        .bucket("long")
        .key(&key)
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "KeyTooLongError");
    put(&c, "long", &"k".repeat(1024), "ok").await;
}

#[tokio::test]
async fn concurrent_puts_and_gets() {
    let (s, c) = setup("conc").await;
    let mut tasks = Vec::new();
    for i in 0..16u64 {
        let c = s.client();
        tasks.push(tokio::spawn(async move {
            let body = data(100_000 + i as usize * 10_000, i);
            put(&c, "conc", &format!("k{i}"), body.clone()).await;
            assert_eq!(get(&c, "conc", &format!("k{i}")).await, body);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let list = c.list_objects_v2().bucket("conc").send().await.unwrap();
    assert_eq!(list.key_count(), Some(16));
}

/// Metadata values are octets: what was sent comes back byte for byte,
/// whether ISO-8859-1 or UTF-8.
#[tokio::test]
async fn user_metadata_is_byte_exact() {
    use tessera_s3_protocol::auth::client::sign_request;
    let (s, c) = setup("meta").await;
    let raw = s.raw();
    let mut h = http::HeaderMap::new();
    h.insert("host", s.s3_addr.to_string().parse().unwrap());
    h.insert(
        "x-amz-meta-latin1",
        http::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
    );
    h.insert(
        "x-amz-meta-utf8",
        http::HeaderValue::from_bytes("café 한".as_bytes()).unwrap(),
    );
    h.insert("x-amz-meta-ascii", "plain".parse().unwrap());
    let uri: http::Uri = raw.url("/meta/k").parse().unwrap();
    let body = bytes::Bytes::from_static(b"body");
    sign_request(
        &http::Method::PUT,
        &uri,
        &mut h,
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body)),
        &raw.params(),
    )
    .unwrap();
    let r = raw.send_map("PUT", "/meta/k", h, body).await;
    assert_eq!(r.status, 200, "{}", r.text());

    for method in ["GET", "HEAD"] {
        let r = raw.signed(method, "/meta/k", &[], "", None).await;
        assert_eq!(r.status, 200);
        let value = |n: &str| r.headers.get(n).map(|v| v.as_bytes().to_vec());
        assert_eq!(value("x-amz-meta-latin1").as_deref(), Some(&b"caf\xe9"[..]));
        assert_eq!(
            value("x-amz-meta-utf8").as_deref(),
            Some("café 한".as_bytes())
        );
        assert_eq!(value("x-amz-meta-ascii").as_deref(), Some(&b"plain"[..]));
    }
    // An ASCII value still round-trips through the SDK.
    c.put_object()
        .bucket("meta")
        .key("sdk")
        .metadata("ascii", "plain value")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let o = c
        .head_object()
        .bucket("meta")
        .key("sdk")
        .send()
        .await
        .unwrap();
    assert_eq!(
        o.metadata().unwrap().get("ascii").map(String::as_str),
        Some("plain value")
    );
}
