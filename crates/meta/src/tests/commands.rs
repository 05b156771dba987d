//! Buckets, objects, access keys, nodes and the GC queue.

use super::*;
use tessera_types::meta::Precondition;
use tessera_types::{AccessKey, NodeInfo, NodeState};

#[test]
fn create_bucket_distinguishes_owner() {
    let mut h = Harness::new();
    h.ok(Command::CreateBucket {
        bucket: bucket("b", "alice"),
    });
    assert_eq!(
        h.err(Command::CreateBucket {
            bucket: bucket("b", "alice")
        }),
        MetaError::BucketAlreadyOwnedByYou
    );
    assert_eq!(
        h.err(Command::CreateBucket {
            bucket: bucket("b", "bob")
        }),
        MetaError::BucketAlreadyExists
    );
    assert!(matches!(
        h.err(Command::CreateBucket {
            bucket: bucket("", "x")
        }),
        MetaError::Invalid(_)
    ));
    assert_eq!(
        h.q(Query::GetBucket { name: "b".into() }),
        Ok(QueryReply::Bucket(Some(bucket("b", "alice"))))
    );
    assert_eq!(
        h.q(Query::GetBucket { name: "zz".into() }),
        Ok(QueryReply::Bucket(None))
    );
}

#[test]
fn list_buckets_sorted() {
    let mut h = Harness::new();
    for n in ["zeta", "alpha", "mid"] {
        h.bucket(n);
    }
    let Ok(QueryReply::Buckets(b)) = h.q(Query::ListBuckets) else {
        panic!()
    };
    let names: Vec<_> = b.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(names, ["alpha", "mid", "zeta"]);
}

#[test]
fn delete_bucket_rules() {
    let mut h = Harness::new();
    assert_eq!(
        h.err(Command::DeleteBucket { name: "b".into() }),
        MetaError::NoSuchBucket
    );
    h.bucket("b");
    h.bucket("b2");
    // An object in a bucket whose name extends "b" does not make "b" non-empty.
    h.put("b2", "k", inline_object("e"));
    h.put("b", "k", inline_object("e"));
    assert_eq!(
        h.err(Command::DeleteBucket { name: "b".into() }),
        MetaError::BucketNotEmpty
    );
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "k".into(),
        now: 1,
    });

    // Uploads in progress are aborted with the bucket, their parts queued for GC.
    h.ok(Command::CreateUpload {
        upload: upload("b", "big", "u1"),
    });
    h.ok(Command::PutPart {
        bucket: "b".into(),
        key: "big".into(),
        upload_id: "u1".into(),
        part: part(1, "p1", &[7]),
    });
    h.ok(Command::PutPart {
        bucket: "b".into(),
        key: "big".into(),
        upload_id: "u1".into(),
        part: part(2, "p2", &[8]),
    });
    h.ok(Command::DeleteBucket { name: "b".into() });
    assert_eq!(
        h.q(Query::GetBucket { name: "b".into() }),
        Ok(QueryReply::Bucket(None))
    );
    assert_eq!(
        h.q(Query::GetUpload {
            bucket: "b".into(),
            key: "big".into(),
            upload_id: "u1".into()
        }),
        Ok(QueryReply::Upload(None))
    );
    let gc = h.gc();
    assert_eq!(gc.len(), 1);
    assert_eq!(tags(&gc[0]), vec![7, 8]);
    // The other bucket is untouched.
    assert!(matches!(
        h.q(Query::GetObject {
            bucket: "b2".into(),
            key: "k".into()
        }),
        Ok(QueryReply::Object(Some(_)))
    ));
}

#[test]
fn put_object_replaces_and_queues_old_blocks() {
    let mut h = Harness::new();
    let put = |b: &str| Command::PutObject {
        bucket: b.into(),
        key: "k".into(),
        object: object("e1", &[1, 2]),
        precondition: Precondition::None,
        event: tessera_types::events::EventName::ObjectCreatedPut,
    };
    let mut h2 = Harness::new();
    assert_eq!(h2.err(put("nope")), MetaError::NoSuchBucket);
    h.bucket("b");
    assert_eq!(h.ok(put("b")), CommandReply::Object(None));
    assert!(h.gc().is_empty());
    // Replacing with a version that shares block 2 frees only block 1.
    let prev = h.put("b", "k", object("e2", &[2, 3]));
    assert_eq!(prev, Some(object("e1", &[1, 2])));
    let gc = h.gc();
    assert_eq!(gc.len(), 1);
    assert_eq!(tags(&gc[0]), vec![1]);
    // Inline data has no blocks: no GC entry.
    h.put("b", "inline", inline_object("i"));
    h.put("b", "inline", inline_object("j"));
    assert_eq!(h.gc().len(), 1);
    assert_eq!(
        h.q(Query::GetObject {
            bucket: "b".into(),
            key: "k".into()
        }),
        Ok(QueryReply::Object(Some(Box::new(object("e2", &[2, 3])))))
    );
    assert_eq!(
        h.q(Query::GetObject {
            bucket: "nope".into(),
            key: "k".into()
        }),
        Err(MetaError::NoSuchBucket)
    );
    assert_eq!(
        h.q(Query::GetObject {
            bucket: "b".into(),
            key: "missing".into()
        }),
        Ok(QueryReply::Object(None))
    );
}

#[test]
fn preconditions() {
    let mut h = Harness::new();
    h.bucket("b");
    let put = |etag: &str, pre: Precondition| Command::PutObject {
        bucket: "b".into(),
        key: "k".into(),
        object: inline_object(etag),
        precondition: pre,
        event: tessera_types::events::EventName::ObjectCreatedPut,
    };
    assert_eq!(
        h.err(put("a", Precondition::ETagMatches("x".into()))),
        MetaError::PreconditionFailed
    );
    h.ok(put("a", Precondition::NotExists));
    assert_eq!(
        h.err(put("b", Precondition::NotExists)),
        MetaError::PreconditionFailed
    );
    assert_eq!(
        h.err(put("b", Precondition::ETagMatches("zzz".into()))),
        MetaError::PreconditionFailed
    );
    h.ok(put("b", Precondition::ETagMatches("a".into())));
    // Quoted ETags compare equal to unquoted ones.
    h.ok(put("c", Precondition::ETagMatches("\"b\"".into())));
    let Ok(QueryReply::Object(Some(o))) = h.q(Query::GetObject {
        bucket: "b".into(),
        key: "k".into(),
    }) else {
        panic!()
    };
    assert_eq!(o.etag, "c");
}

#[test]
fn delete_object_returns_previous_and_queues_blocks() {
    let mut h = Harness::new();
    h.bucket("b");
    let del = Command::DeleteObject {
        bucket: "b".into(),
        key: "k".into(),
        now: 1,
    };
    assert_eq!(h.ok(del.clone()), CommandReply::Object(None));
    h.put("b", "k", object("e", &[4, 5]));
    assert_eq!(
        h.ok(del.clone()),
        CommandReply::Object(Some(Box::new(object("e", &[4, 5]))))
    );
    assert_eq!(tags(&h.gc()[0]), vec![4, 5]);
    assert_eq!(h.ok(del), CommandReply::Object(None));
    assert_eq!(
        h.err(Command::DeleteObject {
            bucket: "x".into(),
            key: "k".into(),
            now: 1,
        }),
        MetaError::NoSuchBucket
    );
}

#[test]
fn rejects_nul_in_keys() {
    let mut h = Harness::new();
    h.bucket("b");
    let bad = Command::PutObject {
        bucket: "b".into(),
        key: "a\0b".into(),
        object: inline_object("e"),
        precondition: Precondition::None,
        event: tessera_types::events::EventName::ObjectCreatedPut,
    };
    assert!(matches!(h.err(bad), MetaError::Invalid(_)));
}

#[test]
fn gc_queue_is_ordered_and_acked() {
    let mut h = Harness::new();
    h.bucket("b");
    for i in 0..5u8 {
        h.put("b", "k", object("e", &[i + 10]));
    }
    let gc = h.gc();
    let seqs: Vec<u64> = gc.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![0, 1, 2, 3]);
    assert_eq!(tags(&gc[0]), vec![10]);
    let Ok(QueryReply::Gc(first)) = h.q(Query::ListGc { max: 2 }) else {
        panic!()
    };
    assert_eq!(first.len(), 2);
    h.ok(Command::AckGc {
        seqs: vec![0, 2, 99],
    });
    let seqs: Vec<u64> = h.gc().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 3]);
    // Sequence numbers keep increasing after acks.
    h.put("b", "k", object("e", &[50]));
    assert_eq!(h.gc().last().map(|e| e.seq), Some(4));
}

#[test]
fn failed_command_writes_nothing_but_advances_applied() {
    let mut h = Harness::new();
    h.bucket("b");
    h.put("b", "k", object("e", &[1]));
    let before = crate::store::state_machine_applied(&h.db);
    assert_eq!(
        h.err(Command::PutObject {
            bucket: "b".into(),
            key: "k".into(),
            object: object("e2", &[2]),
            precondition: Precondition::NotExists,
            event: tessera_types::events::EventName::ObjectCreatedPut,
        }),
        MetaError::PreconditionFailed
    );
    let after = crate::store::state_machine_applied(&h.db);
    assert_eq!(after.index, before.index + 1);
    assert!(h.gc().is_empty());
}

#[test]
fn access_keys() {
    let mut h = Harness::new();
    let key = |id: &str| AccessKey {
        access_key_id: id.into(),
        secret_key: "s".into(),
        name: "n".into(),
        created: 1,
    };
    h.ok(Command::CreateAccessKey { key: key("AK2") });
    h.ok(Command::CreateAccessKey { key: key("AK1") });
    assert_eq!(
        h.err(Command::CreateAccessKey { key: key("AK1") }),
        MetaError::AccessKeyExists
    );
    assert_eq!(
        h.q(Query::GetAccessKey {
            access_key_id: "AK1".into()
        }),
        Ok(QueryReply::AccessKey(Some(key("AK1"))))
    );
    assert_eq!(
        h.q(Query::ListAccessKeys),
        Ok(QueryReply::AccessKeys(vec![key("AK1"), key("AK2")]))
    );
    h.ok(Command::DeleteAccessKey {
        access_key_id: "AK1".into(),
    });
    assert_eq!(
        h.err(Command::DeleteAccessKey {
            access_key_id: "AK1".into()
        }),
        MetaError::NoSuchAccessKey
    );
    assert_eq!(
        h.q(Query::GetAccessKey {
            access_key_id: "AK1".into()
        }),
        Ok(QueryReply::AccessKey(None))
    );
}

#[test]
fn nodes_register_and_update() {
    let mut h = Harness::new();
    let node = |id: u64, state: NodeState| NodeInfo {
        id,
        addr: format!("10.0.0.{id}:7200"),
        zone: "z".into(),
        capacity_bytes: 100,
        state,
        last_heartbeat: 9,
    };
    h.ok(Command::RegisterNode {
        node: node(300, NodeState::Up),
    });
    h.ok(Command::RegisterNode {
        node: node(2, NodeState::Up),
    });
    h.ok(Command::RegisterNode {
        node: node(300, NodeState::Down),
    });
    assert_eq!(
        h.q(Query::ListNodes),
        Ok(QueryReply::Nodes(vec![
            node(2, NodeState::Up),
            node(300, NodeState::Down)
        ]))
    );
}

#[test]
fn exists_precondition() {
    let mut h = Harness::new();
    h.bucket("b");
    let put = |etag: &str| Command::PutObject {
        bucket: "b".into(),
        key: "k".into(),
        object: inline_object(etag),
        precondition: Precondition::Exists,
        event: tessera_types::events::EventName::ObjectCreatedPut,
    };
    assert_eq!(h.err(put("a")), MetaError::PreconditionFailed);
    h.put("b", "k", inline_object("first"));
    h.ok(put("second"));
}

#[test]
fn delete_objects_in_one_command() {
    let mut h = Harness::new();
    h.bucket("b");
    h.put("b", "k1", object("e1", &[1, 2]));
    h.put("b", "k2", object("e2", &[3]));
    h.put("b", "keep", object("e3", &[4]));
    let del = |keys: &[&str]| Command::DeleteObjects {
        bucket: "b".into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        now: 1,
    };
    // Absent and repeated keys are fine; every freed block is queued once.
    assert_eq!(h.ok(del(&["k1", "absent", "k2", "k1"])), CommandReply::Done);
    let gc = h.gc();
    assert_eq!(gc.len(), 1);
    assert_eq!(tags(&gc[0]), vec![1, 2, 3]);
    for (key, present) in [("k1", false), ("k2", false), ("keep", true)] {
        let Ok(QueryReply::Object(o)) = h.q(Query::GetObject {
            bucket: "b".into(),
            key: key.into(),
        }) else {
            panic!()
        };
        assert_eq!(o.is_some(), present, "{key}");
    }
    // A missing bucket fails the whole command.
    assert_eq!(
        h.err(Command::DeleteObjects {
            bucket: "nope".into(),
            keys: vec!["k".into()],
            now: 1,
        }),
        MetaError::NoSuchBucket
    );
}

#[test]
fn bucket_config_and_object_acl() {
    use tessera_types::meta::BucketConfig;
    use tessera_types::{CannedAcl, Permission};
    let mut h = Harness::new();
    h.ok(Command::CreateBucket {
        bucket: bucket("b", "alice"),
    });
    let public = CannedAcl::PublicRead.to_acl("alice", "alice");
    for config in [
        BucketConfig::Acl(public.clone()),
        BucketConfig::Policy(Some("{}".into())),
        BucketConfig::Cors(Some("<CORSConfiguration/>".into())),
        BucketConfig::Website(Some("<WebsiteConfiguration/>".into())),
    ] {
        h.ok(Command::SetBucketConfig {
            bucket: "b".into(),
            config,
        });
    }
    let Ok(QueryReply::Bucket(Some(b))) = h.q(Query::GetBucket { name: "b".into() }) else {
        panic!("bucket missing");
    };
    assert!(b.acl.allows(None, Permission::Read));
    assert_eq!(b.policy.as_deref(), Some("{}"));
    assert!(b.cors.is_some() && b.website.is_some());
    h.ok(Command::SetBucketConfig {
        bucket: "b".into(),
        config: BucketConfig::Policy(None),
    });
    let Ok(QueryReply::Bucket(Some(b))) = h.q(Query::GetBucket { name: "b".into() }) else {
        panic!("bucket missing");
    };
    assert_eq!(b.policy, None);
    assert_eq!(
        h.err(Command::SetBucketConfig {
            bucket: "nope".into(),
            config: BucketConfig::Cors(None),
        }),
        MetaError::NoSuchBucket
    );

    assert_eq!(
        h.err(Command::SetObjectAcl {
            bucket: "b".into(),
            key: "k".into(),
            acl: public.clone(),
        }),
        MetaError::NoSuchKey
    );
    h.ok(Command::PutObject {
        bucket: "b".into(),
        key: "k".into(),
        object: inline_object("e"),
        precondition: Precondition::None,
        event: tessera_types::events::EventName::ObjectCreatedPut,
    });
    h.ok(Command::SetObjectAcl {
        bucket: "b".into(),
        key: "k".into(),
        acl: public,
    });
    let Ok(QueryReply::Object(Some(o))) = h.q(Query::GetObject {
        bucket: "b".into(),
        key: "k".into(),
    }) else {
        panic!("object missing");
    };
    assert!(o.acl.is_public());
    assert_eq!(o.etag, "e");
}
