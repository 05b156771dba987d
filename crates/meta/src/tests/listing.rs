//! ListObjects and ListUploads: prefix, delimiter skip-ahead, markers, limits.

use super::*;
use crate::query::list_objects;
use tessera_types::meta::{ListEntry, ListObjectsQuery, ListUploadsQuery, UploadEntry};

fn with_keys(keys: &[&str]) -> Harness {
    let mut h = Harness::new();
    h.bucket("b");
    h.bucket("a"); // neighbours on both sides must not leak into listings of "b"
    h.bucket("c");
    h.put("a", "zzz", inline_object("e"));
    h.put("c", "0", inline_object("e"));
    for k in keys {
        h.put("b", k, inline_object("e"));
    }
    h
}

fn lq(
    prefix: &str,
    delimiter: Option<&str>,
    start_after: Option<&str>,
    max_keys: u32,
) -> ListObjectsQuery {
    ListObjectsQuery {
        bucket: "b".into(),
        prefix: prefix.into(),
        delimiter: delimiter.map(Into::into),
        start_after: start_after.map(Into::into),
        max_keys,
    }
}

/// Entries rendered as strings (common prefixes as `CP:<prefix>`), and truncation.
fn list(h: &Harness, q: ListObjectsQuery) -> (Vec<String>, bool) {
    let (page, _) = list_objects(&h.db, &q).unwrap();
    let page = page.unwrap();
    let entries = page
        .entries
        .into_iter()
        .map(|e| match e {
            ListEntry::Object { key, summary } => {
                assert_eq!(summary.etag, "e");
                key
            }
            ListEntry::CommonPrefix(p) => format!("CP:{p}"),
        })
        .collect();
    (entries, page.is_truncated)
}

const KEYS: &[&str] = &[
    "a",
    "a/1",
    "a/2",
    "a/b/1",
    "ab",
    "b/1",
    "c",
    "é/1",
    "é/2",
    "éa",
    "日本/1",
    "日本語",
];

#[test]
fn plain_listing_in_key_order() {
    let h = with_keys(KEYS);
    let (all, truncated) = list(&h, lq("", None, None, 1000));
    let mut sorted: Vec<String> = KEYS.iter().map(|s| s.to_string()).collect();
    sorted.sort();
    assert_eq!(all, sorted);
    assert!(!truncated);
    let (page, truncated) = list(&h, lq("a", None, None, 3));
    assert_eq!(page, ["a", "a/1", "a/2"]);
    assert!(truncated);
    let (page, truncated) = list(&h, lq("a", None, Some("a/2"), 3));
    assert_eq!(page, ["a/b/1", "ab"]);
    assert!(!truncated);
    assert!(list(&h, lq("zz", None, None, 10)).0.is_empty());
}

#[test]
fn delimiter_rolls_up_common_prefixes() {
    let h = with_keys(KEYS);
    let (top, truncated) = list(&h, lq("", Some("/"), None, 1000));
    assert_eq!(
        top,
        [
            "a",
            "CP:a/",
            "ab",
            "CP:b/",
            "c",
            "CP:é/",
            "éa",
            "CP:日本/",
            "日本語"
        ]
    );
    assert!(!truncated);
    let (under_a, _) = list(&h, lq("a/", Some("/"), None, 1000));
    assert_eq!(under_a, ["a/1", "a/2", "CP:a/b/"]);
    let (under_e, _) = list(&h, lq("é", Some("/"), None, 1000));
    assert_eq!(under_e, ["CP:é/", "éa"]);
}

#[test]
fn max_keys_counts_prefixes_and_keys() {
    let h = with_keys(KEYS);
    let (page, truncated) = list(&h, lq("", Some("/"), None, 2));
    assert_eq!(page, ["a", "CP:a/"]);
    assert!(truncated);
    // Continuing after a common prefix skips everything under it.
    let (page, truncated) = list(&h, lq("", Some("/"), Some("a/"), 2));
    assert_eq!(page, ["ab", "CP:b/"]);
    assert!(truncated);
    let (page, truncated) = list(&h, lq("", Some("/"), Some("éa"), 2));
    assert_eq!(page, ["CP:日本/", "日本語"]);
    assert!(!truncated);
    // Exactly the remaining number of entries: not truncated.
    let (page, truncated) = list(&h, lq("", Some("/"), Some("éa"), 2));
    assert_eq!(page.len(), 2);
    assert!(!truncated);
}

#[test]
fn max_keys_zero() {
    let h = with_keys(KEYS);
    assert_eq!(list(&h, lq("", None, None, 0)), (vec![], true));
    assert_eq!(list(&h, lq("", Some("/"), None, 0)), (vec![], true));
    assert_eq!(list(&h, lq("nothing", None, None, 0)), (vec![], false));
    assert_eq!(list(&h, lq("", None, Some("日本語"), 0)), (vec![], false));
}

#[test]
fn start_after_excludes_exact_key_and_works_outside_prefix() {
    let h = with_keys(KEYS);
    assert_eq!(list(&h, lq("", None, Some("c"), 2)).0, ["é/1", "é/2"]);
    // A start_after before the prefix changes nothing; one after it empties the listing.
    assert_eq!(list(&h, lq("c", None, Some("a"), 10)).0, ["c"]);
    assert!(list(&h, lq("a", None, Some("b"), 10)).0.is_empty());
    // Between keys.
    assert_eq!(list(&h, lq("", None, Some("a/11"), 1)).0, ["a/2"]);
    // Inside a common prefix that is not itself the marker: the prefix is still reported.
    assert_eq!(
        list(&h, lq("", Some("/"), Some("a/1"), 2)).0,
        ["CP:a/", "ab"]
    );
}

#[test]
fn multi_char_and_multibyte_delimiters() {
    let h = with_keys(&["x--1", "x--2", "x-y", "x--z--1", "y", "πaπ1", "πaπ2", "πb"]);
    let (page, _) = list(&h, lq("", Some("--"), None, 100));
    assert_eq!(page, ["CP:x--", "x-y", "y", "πaπ1", "πaπ2", "πb"]);
    let (page, _) = list(&h, lq("x--", Some("--"), None, 100));
    assert_eq!(page, ["x--1", "x--2", "CP:x--z--"]);
    let (page, _) = list(&h, lq("", Some("π"), None, 100));
    assert_eq!(page, ["x--1", "x--2", "x--z--1", "x-y", "y", "CP:π"]);
    let (page, _) = list(&h, lq("π", Some("π"), None, 100));
    assert_eq!(page, ["CP:πaπ", "πb"]);
    let (page, truncated) = list(&h, lq("", Some("π"), Some("y"), 1));
    assert_eq!(page, ["CP:π"]);
    assert!(!truncated);
    // An empty delimiter means no delimiter.
    assert_eq!(
        list(&h, lq("π", Some(""), None, 100)).0,
        ["πaπ1", "πaπ2", "πb"]
    );
}

#[test]
fn delimiter_listing_skips_ahead() {
    let mut h = Harness::new();
    h.bucket("b");
    for p in 0..10 {
        for i in 0..1000 {
            h.put("b", &format!("dir{p}/file{i:04}"), inline_object("e"));
        }
    }
    h.put("b", "top", inline_object("e"));
    let (page, steps) = list_objects(&h.db, &lq("", Some("/"), None, 1000)).unwrap();
    let page = page.unwrap();
    assert_eq!(page.entries.len(), 11);
    assert!(!page.is_truncated);
    assert!(steps <= 20, "delimiter listing took {steps} iterator steps");
    // Under one prefix every key is visited, but only up to max_keys.
    let (page, steps) = list_objects(&h.db, &lq("dir3/", Some("/"), None, 100)).unwrap();
    assert_eq!(page.unwrap().entries.len(), 100);
    assert!(steps <= 102, "{steps}");
}

#[test]
fn list_objects_missing_bucket() {
    let h = Harness::new();
    assert_eq!(
        list_objects(&h.db, &lq("", None, None, 10)).unwrap().0,
        Err(MetaError::NoSuchBucket)
    );
}

fn uq(
    delimiter: Option<&str>,
    key_marker: Option<&str>,
    id_marker: Option<&str>,
    max: u32,
) -> ListUploadsQuery {
    ListUploadsQuery {
        bucket: "b".into(),
        prefix: String::new(),
        delimiter: delimiter.map(Into::into),
        key_marker: key_marker.map(Into::into),
        upload_id_marker: id_marker.map(Into::into),
        max_uploads: max,
    }
}

fn uploads(h: &Harness, q: ListUploadsQuery) -> (Vec<String>, bool) {
    let Ok(QueryReply::Uploads(page)) = h.q(Query::ListUploads(q)) else {
        panic!()
    };
    let entries = page
        .entries
        .into_iter()
        .map(|e| match e {
            UploadEntry::Upload(u) => format!("{}#{}", u.key, u.upload_id),
            UploadEntry::CommonPrefix(p) => format!("CP:{p}"),
        })
        .collect();
    (entries, page.is_truncated)
}

#[test]
fn list_uploads_markers_and_delimiter() {
    let mut h = Harness::new();
    h.bucket("b");
    h.bucket("b2");
    h.ok(Command::CreateUpload {
        upload: upload("b2", "k", "x"),
    });
    for (k, id) in [
        ("k", "u1"),
        ("k", "u2"),
        ("k", "u3"),
        ("k/a", "u1"),
        ("k/b", "u1"),
        ("ka", "u1"),
        ("l", "u9"),
    ] {
        h.ok(Command::CreateUpload {
            upload: upload("b", k, id),
        });
    }
    let all = uploads(&h, uq(None, None, None, 100));
    assert_eq!(
        all.0,
        ["k#u1", "k#u2", "k#u3", "k/a#u1", "k/b#u1", "ka#u1", "l#u9"]
    );
    assert!(!all.1);
    assert_eq!(
        uploads(&h, uq(None, Some("k"), None, 100)).0,
        ["k/a#u1", "k/b#u1", "ka#u1", "l#u9"]
    );
    assert_eq!(
        uploads(&h, uq(None, Some("k"), Some("u1"), 2)),
        (vec!["k#u2".into(), "k#u3".into()], true)
    );
    assert_eq!(
        uploads(&h, uq(Some("/"), None, None, 100)).0,
        ["k#u1", "k#u2", "k#u3", "CP:k/", "ka#u1", "l#u9"]
    );
    assert_eq!(
        uploads(&h, uq(Some("/"), Some("k/"), None, 100)).0,
        ["ka#u1", "l#u9"]
    );
    assert_eq!(uploads(&h, uq(None, None, None, 0)), (vec![], true));
    let prefixed = ListUploadsQuery {
        prefix: "k/".into(),
        ..uq(None, None, None, 100)
    };
    assert_eq!(uploads(&h, prefixed).0, ["k/a#u1", "k/b#u1"]);
    assert_eq!(
        h.q(Query::ListUploads(ListUploadsQuery {
            bucket: "nope".into(),
            ..Default::default()
        })),
        Err(MetaError::NoSuchBucket)
    );
}
