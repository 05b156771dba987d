use crate::{code, data, get, md5_hex, put, setup, status};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{MetadataDirective, StorageClass};

#[tokio::test]
async fn copy_keeps_or_replaces_metadata() {
    let (_s, c) = setup("cpy").await;
    let body = data(900_000, 4);
    c.put_object()
        .bucket("cpy")
        .key("src")
        .content_type("image/png")
        .metadata("a", "1")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let r = c
        .copy_object()
        .bucket("cpy")
        .key("same-meta")
        .copy_source("cpy/src")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.copy_object_result().unwrap().e_tag(),
        Some(format!("\"{}\"", md5_hex(&body)).as_str())
    );
    let h = c
        .head_object()
        .bucket("cpy")
        .key("same-meta")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("image/png"));
    assert_eq!(
        h.metadata().unwrap().get("a").map(String::as_str),
        Some("1")
    );
    assert_eq!(get(&c, "cpy", "same-meta").await, body);

    c.copy_object()
        .bucket("cpy")
        .key("new-meta")
        .copy_source("cpy/src")
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("b", "2")
        .send()
        .await
        .unwrap();
    let h = c
        .head_object()
        .bucket("cpy")
        .key("new-meta")
        .send()
        .await
        .unwrap();
    assert_eq!(h.content_type(), Some("text/plain"));
    assert!(h.metadata().unwrap().get("a").is_none());
    assert_eq!(
        h.metadata().unwrap().get("b").map(String::as_str),
        Some("2")
    );
}

#[tokio::test]
async fn copy_between_buckets_with_encoded_keys() {
    let (_s, c) = setup("cpy").await;
    c.create_bucket().bucket("cpy2").send().await.unwrap();
    put(&c, "cpy", "dir/a b+c", "payload").await;
    c.copy_object()
        .bucket("cpy2")
        .key("x")
        .copy_source("cpy/dir/a%20b%2Bc")
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "cpy2", "x").await, b"payload");
}

#[tokio::test]
async fn copy_onto_itself_needs_a_change() {
    let (_s, c) = setup("cpy").await;
    put(&c, "cpy", "k", "v").await;
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("k")
        .copy_source("cpy/k")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidRequest");
    c.copy_object()
        .bucket("cpy")
        .key("k")
        .copy_source("cpy/k")
        .metadata_directive(MetadataDirective::Replace)
        .metadata("x", "y")
        .send()
        .await
        .unwrap();
    c.copy_object()
        .bucket("cpy")
        .key("k")
        .copy_source("cpy/k")
        .storage_class(StorageClass::ReducedRedundancy)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&c, "cpy", "k").await, b"v");
}

#[tokio::test]
async fn copy_source_conditions() {
    let (_s, c) = setup("cpy").await;
    let etag = put(&c, "cpy", "k", "v").await;
    c.copy_object()
        .bucket("cpy")
        .key("a")
        .copy_source("cpy/k")
        .copy_source_if_match(&etag)
        .send()
        .await
        .unwrap();
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("a")
        .copy_source("cpy/k")
        .copy_source_if_match("\"x\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("a")
        .copy_source("cpy/k")
        .copy_source_if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("a")
        .copy_source("cpy/missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchKey");
    let err = c
        .copy_object()
        .bucket("cpy")
        .key("a")
        .copy_source("cpy/k")
        .metadata_directive(MetadataDirective::from("MOVE"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "InvalidArgument");
}
