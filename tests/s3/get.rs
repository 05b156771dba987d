use crate::{code, data, put, setup, status};
use aws_smithy_types::date_time::DateTime;

async fn range(c: &aws_sdk_s3::Client, key: &str, r: &str) -> (Vec<u8>, Option<String>) {
    let o = c
        .get_object()
        .bucket("rng")
        .key(key)
        .range(r)
        .send()
        .await
        .unwrap();
    let cr = o.content_range().map(str::to_string);
    (o.body.collect().await.unwrap().into_bytes().to_vec(), cr)
}

#[tokio::test]
async fn ranges_in_every_form() {
    let (_s, c) = setup("rng").await;
    let body = data(700_000, 3); // spans three 256 KiB blocks
    put(&c, "rng", "big", body.clone()).await;
    let (b, cr) = range(&c, "big", "bytes=0-9").await;
    assert_eq!(b, &body[0..10]);
    assert_eq!(cr.as_deref(), Some("bytes 0-9/700000"));
    let (b, _) = range(&c, "big", "bytes=262140-262150").await; // across a block edge
    assert_eq!(b, &body[262140..=262150]);
    let (b, cr) = range(&c, "big", "bytes=699990-").await;
    assert_eq!(b, &body[699990..]);
    assert_eq!(cr.as_deref(), Some("bytes 699990-699999/700000"));
    let (b, _) = range(&c, "big", "bytes=-5").await;
    assert_eq!(b, &body[700000 - 5..]);
    let (b, cr) = range(&c, "big", "bytes=600000-9999999").await;
    assert_eq!(b, &body[600000..]);
    assert_eq!(cr.as_deref(), Some("bytes 600000-699999/700000"));
    let err = c
        .get_object()
        .bucket("rng")
        .key("big")
        .range("bytes=700000-")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 416);
    assert_eq!(code(&err), "InvalidRange");

    put(&c, "rng", "small", "hello world").await;
    let (b, _) = range(&c, "small", "bytes=6-").await;
    assert_eq!(b, b"world");
    let o = c
        .get_object()
        .bucket("rng")
        .key("small")
        .range("bytes=0-4")
        .send()
        .await
        .unwrap();
    assert_eq!(o.content_length(), Some(5));
}

#[tokio::test]
async fn conditional_gets() {
    let (_s, c) = setup("rng").await;
    let etag = put(&c, "rng", "k", "conditional").await;
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_match(&etag)
        .send()
        .await
        .unwrap();
    let err = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_match("\"nope\"")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    let err = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 304);
    let err = c
        .head_object()
        .bucket("rng")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 304);
    let future = DateTime::from_secs(4_000_000_000);
    let past = DateTime::from_secs(1_000_000_000);
    let err = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_modified_since(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 304);
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_modified_since(past)
        .send()
        .await
        .unwrap();
    let err = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_unmodified_since(past)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status(&err), 412);
    c.get_object()
        .bucket("rng")
        .key("k")
        .if_unmodified_since(future)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn response_header_overrides() {
    let (_s, c) = setup("rng").await;
    put(&c, "rng", "k", "x").await;
    let o = c
        .get_object()
        .bucket("rng")
        .key("k")
        .response_content_type("text/plain")
        .response_content_disposition("inline")
        .response_cache_control("no-cache")
        .response_content_language("fr")
        .response_content_encoding("gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(o.content_type(), Some("text/plain"));
    assert_eq!(o.content_disposition(), Some("inline"));
    assert_eq!(o.cache_control(), Some("no-cache"));
    assert_eq!(o.content_language(), Some("fr"));
    assert_eq!(o.content_encoding(), Some("gzip"));
}

/// A 304 names the version the client has: ETag and Last-Modified, like
/// the 200 it stands for, and the request id of every response.
#[tokio::test]
async fn not_modified_carries_etag_and_last_modified() {
    let (_s, c) = setup("rng").await;
    let etag = put(&c, "rng", "k", "conditional").await;
    let head = c.head_object().bucket("rng").key("k").send().await.unwrap();
    let last_modified = head
        .last_modified()
        .unwrap()
        .fmt(aws_smithy_types::date_time::Format::HttpDate)
        .unwrap();
    let get_err = c
        .get_object()
        .bucket("rng")
        .key("k")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    let head_err = c
        .head_object()
        .bucket("rng")
        .key("k")
        .if_modified_since(DateTime::from_secs(4_000_000_000))
        .send()
        .await
        .unwrap_err();
    for raw in [get_err.raw_response(), head_err.raw_response()] {
        let raw = raw.unwrap();
        assert_eq!(raw.status().as_u16(), 304);
        assert_eq!(raw.headers().get("etag"), Some(etag.as_str()));
        assert_eq!(
            raw.headers().get("last-modified"),
            Some(last_modified.as_str())
        );
        assert!(raw.headers().get("x-amz-request-id").is_some());
    }
}
