use crate::{code, put, setup};
use aws_sdk_s3::types::EncodingType;

async fn fill(c: &aws_sdk_s3::Client, keys: &[&str]) {
    for k in keys {
        put(c, "lst", k, k.as_bytes().to_vec()).await;
    }
}

#[tokio::test]
async fn v2_prefix_delimiter_and_pages() {
    let (_s, c) = setup("lst").await;
    fill(&c, &["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "e"]).await;
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = r.contents().iter().filter_map(|o| o.key()).collect();
    let prefixes: Vec<_> = r
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(keys, ["c", "e"]);
    assert_eq!(prefixes, ["a/", "b/", "d/"]);
    assert_eq!(r.key_count(), Some(5));
    assert_eq!(r.is_truncated(), Some(false));

    let r = c
        .list_objects_v2()
        .bucket("lst")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = r.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["a/1", "a/2"]);
    assert_eq!(r.common_prefixes()[0].prefix(), Some("a/b/"));
    assert_eq!(r.prefix(), Some("a/"));

    // Paging with max-keys 2 and continuation tokens visits everything once.
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let r = c
            .list_objects_v2()
            .bucket("lst")
            .max_keys(2)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        assert!(r.contents().len() <= 2);
        seen.extend(
            r.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_string)),
        );
        if r.is_truncated() != Some(true) {
            break;
        }
        token = r.next_continuation_token().map(str::to_string);
        assert!(token.is_some());
    }
    assert_eq!(seen, ["a/1", "a/2", "a/b/3", "b/1", "c", "d/x/y", "e"]);

    let r = c
        .list_objects_v2()
        .bucket("lst")
        .start_after("b/1")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = r.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["c", "d/x/y", "e"]);
    assert_eq!(r.start_after(), Some("b/1"));

    let r = c
        .list_objects_v2()
        .bucket("lst")
        .max_keys(0)
        .send()
        .await
        .unwrap();
    assert!(r.contents().is_empty());
}

#[tokio::test]
async fn v2_object_fields_and_owner() {
    let (_s, c) = setup("lst").await;
    let etag = put(&c, "lst", "k", "12345").await;
    let r = c.list_objects_v2().bucket("lst").send().await.unwrap();
    let o = &r.contents()[0];
    assert_eq!(o.size(), Some(5));
    assert_eq!(o.e_tag(), Some(etag.as_str()));
    assert!(o.last_modified().is_some());
    assert_eq!(o.storage_class().map(|s| s.as_str()), Some("STANDARD"));
    assert!(o.owner().is_none(), "v2 omits Owner unless fetch-owner");
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .fetch_owner(true)
        .send()
        .await
        .unwrap();
    assert!(r.contents()[0].owner().and_then(|o| o.id()).is_some());
}

#[tokio::test]
async fn v1_marker_and_next_marker() {
    let (_s, c) = setup("lst").await;
    fill(&c, &["x/1", "x/2", "y/1", "z"]).await;
    let r = c
        .list_objects()
        .bucket("lst")
        .max_keys(1)
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.common_prefixes()[0].prefix(), Some("x/"));
    assert_eq!(r.is_truncated(), Some(true));
    assert_eq!(r.next_marker(), Some("x/"));
    let r = c
        .list_objects()
        .bucket("lst")
        .marker("x/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let prefixes: Vec<_> = r
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["y/"]);
    assert_eq!(r.contents()[0].key(), Some("z"));
    let r = c.list_objects().bucket("lst").send().await.unwrap();
    assert_eq!(r.contents().len(), 4);
    assert!(
        r.contents()[0].owner().is_some(),
        "v1 always lists the owner"
    );
}

#[tokio::test]
async fn url_encoding_and_bad_arguments() {
    let (_s, c) = setup("lst").await;
    fill(&c, &["sp ace", "ü"]).await;
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    // The keys come back url-encoded (the Rust SDK leaves them so).
    let keys: Vec<_> = r.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["sp%20ace", "%C3%BC"]);
    assert_eq!(r.encoding_type(), Some(&EncodingType::Url));
    let raw = _s
        .raw()
        .signed("GET", "/lst?list-type=2&encoding-type=url", &[], "", None)
        .await;
    assert!(raw.text().contains("<Key>sp%20ace</Key>"), "{}", raw.text());
    let raw = _s
        .raw()
        .signed("GET", "/lst?list-type=2&max-keys=-1", &[], "", None)
        .await;
    assert_eq!(raw.error_code().as_deref(), Some("InvalidArgument"));
    let raw = _s
        .raw()
        .signed(
            "GET",
            "/lst?list-type=2&encoding-type=base64",
            &[],
            "",
            None,
        )
        .await;
    assert_eq!(raw.error_code().as_deref(), Some("InvalidArgument"));
    let err = c
        .list_objects_v2()
        .bucket("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "NoSuchBucket");
}

#[tokio::test]
async fn listing_more_than_a_page() {
    let (s, c) = setup("lst").await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let c = s.client();
        tasks.push(tokio::spawn(async move {
            for i in 0..150 {
                put(&c, "lst", &format!("p{}/k{:04}", t % 3, t * 1000 + i), "x").await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let r = c.list_objects_v2().bucket("lst").send().await.unwrap();
    assert_eq!(r.key_count(), Some(1000));
    assert_eq!(r.is_truncated(), Some(true));
    let r2 = c
        .list_objects_v2()
        .bucket("lst")
        .continuation_token(r.next_continuation_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r2.key_count(), Some(200));
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.common_prefixes().len(), 3);
}

/// max-keys=0 is an empty page that is not truncated, in both versions.
#[tokio::test]
async fn max_keys_zero_is_not_truncated() {
    let (_s, c) = setup("lst").await;
    fill(&c, &["a", "b"]).await;
    let r = c
        .list_objects_v2()
        .bucket("lst")
        .max_keys(0)
        .send()
        .await
        .unwrap();
    assert_eq!(r.is_truncated(), Some(false));
    assert_eq!(r.key_count(), Some(0));
    assert!(r.contents().is_empty());
    assert_eq!(r.next_continuation_token(), None);
    let r = c
        .list_objects()
        .bucket("lst")
        .max_keys(0)
        .send()
        .await
        .unwrap();
    assert_eq!(r.is_truncated(), Some(false));
    assert!(r.contents().is_empty());
    assert_eq!(r.next_marker(), None);
}

/// With encoding-type=url, a v1 listing encodes keys, Marker, NextMarker
/// and Delimiter but not Prefix (as AWS; boto3 decodes Prefix only for v2).
#[tokio::test]
async fn v1_url_encoding_leaves_prefix_alone() {
    let (s, c) = setup("lst").await;
    fill(&c, &["sp ace/a b", "sp ace/c d/e", "sp ace/f"]).await;
    let v1 = s
        .raw()
        .signed(
            "GET",
            "/lst?encoding-type=url&prefix=sp%20ace%2F&delimiter=%20&marker=sp%20ace%2F0&max-keys=1",
            &[],
            "",
            None,
        )
        .await;
    let t = v1.text();
    assert_eq!(v1.status, 200, "{t}");
    assert!(t.contains("<Prefix>sp ace/</Prefix>"), "{t}");
    assert!(t.contains("<Marker>sp%20ace/0</Marker>"), "{t}");
    assert!(t.contains("<Delimiter>%20</Delimiter>"), "{t}");
    assert!(
        t.contains("<CommonPrefixes><Prefix>sp%20ace/a%20</Prefix></CommonPrefixes>"),
        "{t}"
    );
    assert!(t.contains("<NextMarker>sp%20ace/a%20</NextMarker>"), "{t}");
    let v2 = s
        .raw()
        .signed(
            "GET",
            "/lst?list-type=2&encoding-type=url&prefix=sp%20ace%2F",
            &[],
            "",
            None,
        )
        .await;
    assert!(
        v2.text().contains("<Prefix>sp%20ace/</Prefix>"),
        "{}",
        v2.text()
    );
}
