//! ListObjectVersions on buckets without versioning: every current object
//! is one version, VersionId `null`, IsLatest.

use crate::{put, setup};
use aws_sdk_s3::types::EncodingType;

#[tokio::test]
async fn current_objects_are_null_versions() {
    let (s, c) = setup("ver").await;
    let etag = put(&c, "ver", "a/1", "one").await;
    for k in ["a/2", "a/b/3", "b/1", "c"] {
        put(&c, "ver", k, k.as_bytes().to_vec()).await;
    }
    let r = c.list_object_versions().bucket("ver").send().await.unwrap();
    let keys: Vec<_> = r.versions().iter().filter_map(|v| v.key()).collect();
    assert_eq!(keys, ["a/1", "a/2", "a/b/3", "b/1", "c"]);
    assert_eq!(r.is_truncated(), Some(false));
    assert_eq!(r.name(), Some("ver"));
    assert!(r.delete_markers().is_empty());
    let v = &r.versions()[0];
    assert_eq!(v.version_id(), Some("null"));
    assert_eq!(v.is_latest(), Some(true));
    assert_eq!(v.e_tag(), Some(etag.as_str()));
    assert_eq!(v.size(), Some(3));
    assert!(v.last_modified().is_some());
    assert_eq!(v.storage_class().map(|s| s.as_str()), Some("STANDARD"));
    assert_eq!(v.owner().and_then(|o| o.id()), Some(s.access_key.as_str()));

    // prefix and delimiter.
    let r = c
        .list_object_versions()
        .bucket("ver")
        .prefix("a/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = r.versions().iter().filter_map(|v| v.key()).collect();
    assert_eq!(keys, ["a/1", "a/2"]);
    let prefixes: Vec<_> = r
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["a/b/"]);
    assert_eq!(r.prefix(), Some("a/"));
    assert_eq!(r.delimiter(), Some("/"));
}

#[tokio::test]
async fn pages_with_key_and_version_id_markers() {
    let (s, c) = setup("ver").await;
    for k in ["a/1", "a/2", "b", "c/1", "c/2", "d"] {
        put(&c, "ver", k, "x").await;
    }
    for delimiter in [None, Some("/")] {
        let mut seen = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let r = c
                .list_object_versions()
                .bucket("ver")
                .max_keys(2)
                .set_delimiter(delimiter.map(str::to_string))
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.max_keys(), Some(2));
            let n = r.versions().len() + r.common_prefixes().len();
            assert!(n <= 2);
            seen.extend(
                r.versions()
                    .iter()
                    .filter_map(|v| v.key())
                    .map(str::to_string),
            );
            seen.extend(
                r.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix())
                    .map(str::to_string),
            );
            if r.is_truncated() != Some(true) {
                assert_eq!(r.next_key_marker(), None);
                break;
            }
            assert_eq!(r.next_version_id_marker(), Some("null"));
            key_marker = r.next_key_marker().map(str::to_string);
            version_marker = r.next_version_id_marker().map(str::to_string);
        }
        seen.sort();
        let want: &[&str] = match delimiter {
            None => &["a/1", "a/2", "b", "c/1", "c/2", "d"],
            Some(_) => &["a/", "b", "c/", "d"],
        };
        assert_eq!(seen, want, "{delimiter:?}");
    }

    // key-marker alone resumes after the key.
    let r = c
        .list_object_versions()
        .bucket("ver")
        .key_marker("b")
        .send()
        .await
        .unwrap();
    let keys: Vec<_> = r.versions().iter().filter_map(|v| v.key()).collect();
    assert_eq!(keys, ["c/1", "c/2", "d"]);
    assert_eq!(r.key_marker(), Some("b"));

    // max-keys=0, encoding-type=url, and invalid markers.
    let r = c
        .list_object_versions()
        .bucket("ver")
        .max_keys(0)
        .send()
        .await
        .unwrap();
    assert!(r.versions().is_empty());
    assert_eq!(r.is_truncated(), Some(false));
    put(&c, "ver", "sp ace", "x").await;
    let r = c
        .list_object_versions()
        .bucket("ver")
        .prefix("sp")
        .encoding_type(EncodingType::Url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.versions()[0].key(), Some("sp%20ace"));
    let raw = s.raw();
    let r = raw
        .signed("GET", "/ver?versions&version-id-marker=null", &[], "", None)
        .await;
    assert_eq!(r.error_code().as_deref(), Some("InvalidArgument"));
    let r = raw
        .signed(
            "GET",
            "/ver?versions&key-marker=b&version-id-marker=xyz",
            &[],
            "",
            None,
        )
        .await;
    assert_eq!(r.error_code().as_deref(), Some("InvalidArgument"));
    let r = raw.signed("GET", "/ver?versions", &[], "", None).await;
    assert!(
        r.text()
            .contains("<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"),
        "{}",
        r.text()
    );
    let err = c
        .list_object_versions()
        .bucket("nosuch")
        .send()
        .await
        .unwrap_err();
    assert_eq!(crate::code(&err), "NoSuchBucket");
}
