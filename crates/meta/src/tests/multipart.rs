//! Multipart uploads: parts, complete, abort, listings of parts.

use super::*;
use tessera_types::meta::Precondition;

fn put_part(h: &mut Harness, key: &str, id: &str, p: PartRecord) -> CommandResult {
    h.cmd(Command::PutPart {
        bucket: "b".into(),
        key: key.into(),
        upload_id: id.into(),
        part: p,
    })
}

fn complete(
    key: &str,
    id: &str,
    parts: &[(u32, &str)],
    object: ObjectRecord,
    pre: Precondition,
) -> Command {
    Command::CompleteUpload {
        bucket: "b".into(),
        key: key.into(),
        upload_id: id.into(),
        parts: parts.iter().map(|(n, e)| (*n, e.to_string())).collect(),
        object,
        precondition: pre,
    }
}

fn parts_of(h: &Harness, key: &str, id: &str, marker: u32, max: u32) -> QueryResult {
    h.q(Query::ListParts {
        bucket: "b".into(),
        key: key.into(),
        upload_id: id.into(),
        part_number_marker: marker,
        max_parts: max,
    })
}

#[test]
fn create_upload_requires_bucket_and_unique_id() {
    let mut h = Harness::new();
    assert_eq!(
        h.err(Command::CreateUpload {
            upload: upload("b", "k", "u")
        }),
        MetaError::NoSuchBucket
    );
    h.bucket("b");
    h.ok(Command::CreateUpload {
        upload: upload("b", "k", "u"),
    });
    assert!(matches!(
        h.err(Command::CreateUpload {
            upload: upload("b", "k", "u")
        }),
        MetaError::Invalid(_)
    ));
    assert_eq!(
        h.q(Query::GetUpload {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u".into()
        }),
        Ok(QueryReply::Upload(Some(upload("b", "k", "u"))))
    );
}

#[test]
fn put_part_replaces_and_lists() {
    let mut h = Harness::new();
    h.bucket("b");
    assert_eq!(
        put_part(&mut h, "k", "u", part(1, "x", &[1])),
        Err(MetaError::NoSuchUpload)
    );
    h.ok(Command::CreateUpload {
        upload: upload("b", "k", "u"),
    });
    assert!(matches!(
        put_part(&mut h, "k", "u", part(0, "x", &[])),
        Err(MetaError::Invalid(_))
    ));
    for n in [3, 1, 2, 300] {
        put_part(&mut h, "k", "u", part(n, &format!("e{n}"), &[n as u8])).unwrap();
    }
    assert!(h.gc().is_empty());
    // Replacing part 2 queues its old block.
    put_part(&mut h, "k", "u", part(2, "e2b", &[22])).unwrap();
    assert_eq!(tags(&h.gc()[0]), vec![2]);

    let Ok(QueryReply::Parts {
        parts,
        is_truncated,
    }) = parts_of(&h, "k", "u", 0, 2)
    else {
        panic!()
    };
    assert_eq!(
        parts.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(is_truncated);
    let Ok(QueryReply::Parts {
        parts,
        is_truncated,
    }) = parts_of(&h, "k", "u", 2, 10)
    else {
        panic!()
    };
    assert_eq!(
        parts.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![3, 300]
    );
    assert!(!is_truncated);
    let Ok(QueryReply::Parts {
        parts,
        is_truncated,
    }) = parts_of(&h, "k", "u", 300, 10)
    else {
        panic!()
    };
    assert!(parts.is_empty() && !is_truncated);
    let Ok(QueryReply::Parts {
        parts,
        is_truncated,
    }) = parts_of(&h, "k", "u", u32::MAX, 10)
    else {
        panic!()
    };
    assert!(parts.is_empty() && !is_truncated);
    assert_eq!(
        parts_of(&h, "k", "nope", 0, 10),
        Err(MetaError::NoSuchUpload)
    );
}

#[test]
fn complete_upload_checks_parts_and_frees_the_rest() {
    let mut h = Harness::new();
    h.bucket("b");
    h.put("b", "k", object("old", &[90]));
    h.ok(Command::CreateUpload {
        upload: upload("b", "k", "u"),
    });
    for n in 1..=3u32 {
        put_part(&mut h, "k", "u", part(n, &format!("e{n}"), &[n as u8])).unwrap();
    }
    // Unknown upload, wrong ETag, missing part.
    let obj = object("multi-2", &[1, 3]);
    assert_eq!(
        h.err(complete(
            "k",
            "zzz",
            &[(1, "e1")],
            obj.clone(),
            Precondition::None
        )),
        MetaError::NoSuchUpload
    );
    assert_eq!(
        h.err(complete(
            "k",
            "u",
            &[(1, "e1"), (3, "bad")],
            obj.clone(),
            Precondition::None
        )),
        MetaError::InvalidPart(3)
    );
    assert_eq!(
        h.err(complete(
            "k",
            "u",
            &[(1, "e1"), (7, "e7")],
            obj.clone(),
            Precondition::None
        )),
        MetaError::InvalidPart(7)
    );
    assert_eq!(
        h.err(complete(
            "k",
            "u",
            &[(1, "e1")],
            obj.clone(),
            Precondition::NotExists
        )),
        MetaError::PreconditionFailed
    );
    // Nothing changed by the failures.
    assert!(h.gc().is_empty());
    assert!(
        matches!(parts_of(&h, "k", "u", 0, 10), Ok(QueryReply::Parts { parts, .. }) if parts.len() == 3)
    );

    // Quoted ETags in the request are accepted.
    let reply = h.ok(complete(
        "k",
        "u",
        &[(1, "\"e1\""), (3, "e3")],
        obj.clone(),
        Precondition::None,
    ));
    assert_eq!(
        reply,
        CommandReply::Object(Some(Box::new(object("old", &[90]))))
    );
    assert_eq!(
        h.q(Query::GetObject {
            bucket: "b".into(),
            key: "k".into()
        }),
        Ok(QueryReply::Object(Some(Box::new(obj))))
    );
    // Upload and all parts are gone; part 2 (unlisted) and the old version are freed.
    assert_eq!(
        h.q(Query::GetUpload {
            bucket: "b".into(),
            key: "k".into(),
            upload_id: "u".into()
        }),
        Ok(QueryReply::Upload(None))
    );
    assert_eq!(parts_of(&h, "k", "u", 0, 10), Err(MetaError::NoSuchUpload));
    let gc = h.gc();
    assert_eq!(gc.len(), 1);
    assert_eq!(tags(&gc[0]), vec![2, 90]);
    let remaining = crate::store::db::cf(&h.db, crate::store::db::CF_PARTS).unwrap();
    let mut it = h.db.raw_iterator_cf(remaining);
    it.seek_to_first();
    assert!(!it.valid(), "parts left behind");
}

#[test]
fn abort_upload_frees_parts() {
    let mut h = Harness::new();
    h.bucket("b");
    let abort = |id: &str| Command::AbortUpload {
        bucket: "b".into(),
        key: "k".into(),
        upload_id: id.into(),
    };
    assert_eq!(h.err(abort("u")), MetaError::NoSuchUpload);
    h.ok(Command::CreateUpload {
        upload: upload("b", "k", "u"),
    });
    h.ok(Command::CreateUpload {
        upload: upload("b", "k", "v"),
    });
    put_part(&mut h, "k", "u", part(1, "a", &[1])).unwrap();
    put_part(&mut h, "k", "u", part(2, "b", &[2, 3])).unwrap();
    put_part(&mut h, "k", "v", part(1, "c", &[9])).unwrap();
    h.ok(abort("u"));
    assert_eq!(tags(&h.gc()[0]), vec![1, 2, 3]);
    assert_eq!(h.err(abort("u")), MetaError::NoSuchUpload);
    // The other upload of the same key keeps its part.
    assert!(
        matches!(parts_of(&h, "k", "v", 0, 10), Ok(QueryReply::Parts { parts, .. }) if parts.len() == 1)
    );
}
