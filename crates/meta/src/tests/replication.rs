//! Replication tasks in the outbox, replication status, resync, remotes.

use super::*;
use tessera_types::events::{OutboxEvent, OutboxKind, Target};
use tessera_types::meta::BucketConfig;
use tessera_types::replication::{
    Remote, ReplicationConfig, ReplicationRule, ReplicationStatus, StatusUpdate,
};

fn rule(id: &str, prefix: &str, dest: &str, deletes: bool) -> ReplicationRule {
    ReplicationRule {
        id: id.into(),
        priority: Some(1),
        enabled: true,
        prefix: prefix.into(),
        destination_bucket: dest.into(),
        storage_class: None,
        replicate_deletes: deletes,
    }
}

fn configure(h: &mut Harness, rules: Vec<ReplicationRule>) {
    h.ok(Command::SetBucketConfig {
        bucket: "src".into(),
        config: BucketConfig::Replication(Some(ReplicationConfig {
            role: String::new(),
            rules,
        })),
    });
}

fn tasks(h: &Harness) -> Vec<OutboxEvent> {
    match h.q(Query::ListEvents {
        after: None,
        max: 1000,
        failed_only: false,
        kind: Some(OutboxKind::Replication),
        bucket: Some("src".into()),
    }) {
        Ok(QueryReply::Events(e)) => e,
        other => panic!("{other:?}"),
    }
}

fn status(h: &Harness, key: &str) -> Option<ReplicationStatus> {
    match h.q(Query::GetObject {
        bucket: "src".into(),
        key: key.into(),
    }) {
        Ok(QueryReply::Object(Some(o))) => o.replication_status,
        other => panic!("{other:?}"),
    }
}

fn lease(h: &mut Harness, now: i64, kind: OutboxKind) -> Vec<OutboxEvent> {
    match h.ok(Command::LeaseEvents {
        worker: "w".into(),
        now,
        lease_ms: 1000,
        max: 100,
        kind,
    }) {
        CommandReply::Events(e) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn writes_and_deletes_queue_tasks_of_the_selecting_rule() {
    let mut h = Harness::new();
    h.bucket("src");
    configure(
        &mut h,
        vec![
            rule("logs", "logs/", "dst-logs", true),
            rule("all", "", "dst", false),
        ],
    );
    h.put("src", "logs/a", object("e1", &[1]));
    h.put("src", "img/b", object("e2", &[2]));
    assert_eq!(status(&h, "logs/a"), Some(ReplicationStatus::Pending));
    // A replica written into a replicating bucket is not copied again.
    let mut replica = object("e3", &[3]);
    replica.replication_status = Some(ReplicationStatus::Replica);
    h.put("src", "img/replica", replica);
    assert_eq!(status(&h, "img/replica"), Some(ReplicationStatus::Replica));
    for key in ["logs/a", "img/b"] {
        h.ok(Command::DeleteObject {
            bucket: "src".into(),
            key: key.into(),
            now: 5,
        });
    }
    let got: Vec<(String, String)> = tasks(&h)
        .into_iter()
        .map(|e| (e.target.describe(), e.key))
        .collect();
    // The delete of img/b is not replicated: its rule says so.
    assert_eq!(
        got,
        vec![
            ("replica:dst-logs".into(), "logs/a".into()),
            ("replica:dst".into(), "img/b".into()),
            ("replica:dst-logs".into(), "logs/a".into()),
        ]
    );
    // Notification workers never see replication tasks.
    assert!(lease(&mut h, 10, OutboxKind::Notification).is_empty());
    // Per-key order: the delete of logs/a waits for its write.
    let leased = lease(&mut h, 10, OutboxKind::Replication);
    assert_eq!(leased.len(), 2);
    assert!(matches!(&leased[0].target, Target::Replica(t) if t.replicate_deletes));
}

#[test]
fn status_updates_apply_to_the_version_they_name() {
    let mut h = Harness::new();
    h.bucket("src");
    configure(&mut h, vec![rule("all", "", "dst", false)]);
    h.put("src", "k", object("e1", &[1]));
    let stale = StatusUpdate {
        bucket: "src".into(),
        key: "k".into(),
        etag: "old".into(),
        last_modified: 0,
        status: ReplicationStatus::Completed,
    };
    h.ok(Command::SetReplicationStatus {
        updates: vec![stale.clone()],
    });
    assert_eq!(status(&h, "k"), Some(ReplicationStatus::Pending));
    let current = StatusUpdate {
        etag: "e1".into(),
        last_modified: 5,
        ..stale
    };
    h.ok(Command::SetReplicationStatus {
        updates: vec![current],
    });
    assert_eq!(status(&h, "k"), Some(ReplicationStatus::Completed));
}

#[test]
fn failed_tasks_do_not_hold_back_later_ones_of_their_key() {
    let mut h = Harness::new();
    h.bucket("src");
    configure(&mut h, vec![rule("all", "", "dst", true)]);
    h.put("src", "k", object("e1", &[1]));
    let first = lease(&mut h, 10, OutboxKind::Replication);
    h.ok(Command::RetryEvents {
        seqs: vec![first[0].seq],
        error: "403".into(),
        max_attempts: 1,
    });
    h.put("src", "k", object("e2", &[2]));
    let next = lease(&mut h, 20, OutboxKind::Replication);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].etag, "e2");
    // Renewing keeps a long copy's lease; another worker's renewal does not.
    h.ok(Command::RenewLeases {
        worker: "other".into(),
        seqs: vec![next[0].seq],
        until: 1_000_000,
    });
    assert_eq!(lease(&mut h, 2000, OutboxKind::Replication).len(), 1);
    h.ok(Command::RenewLeases {
        worker: "w".into(),
        seqs: vec![next[0].seq],
        until: 1_000_000,
    });
    assert!(lease(&mut h, 5000, OutboxKind::Replication).is_empty());
}

#[test]
fn resync_queues_existing_objects_page_by_page() {
    let mut h = Harness::new();
    h.bucket("src");
    for i in 0..5 {
        h.put("src", &format!("k{i}"), object("e", &[i]));
    }
    assert!(matches!(
        h.err(Command::ResyncReplication {
            bucket: "src".into(),
            after: None,
            max: 2,
            now: 1,
        }),
        MetaError::Invalid(_)
    ));
    configure(&mut h, vec![rule("all", "k", "dst", false)]);
    let mut after = None;
    let mut pages = 0;
    loop {
        match h.ok(Command::ResyncReplication {
            bucket: "src".into(),
            after: after.clone(),
            max: 2,
            now: 1,
        }) {
            CommandReply::Resync { queued, next } => {
                assert!(queued <= 2);
                pages += 1;
                after = next;
            }
            other => panic!("{other:?}"),
        }
        if after.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(tasks(&h).len(), 5);
    assert_eq!(status(&h, "k4"), Some(ReplicationStatus::Pending));
}

#[test]
fn remotes_are_unique_by_name_and_bucket() {
    let mut h = Harness::new();
    let remote = Remote {
        name: "dr".into(),
        endpoint: "http://127.0.0.1:1".into(),
        access_key: "AK".into(),
        secret_key: "SK".into(),
        bucket: "backup".into(),
        region: "us-east-1".into(),
        created: 1,
    };
    h.ok(Command::CreateRemote {
        remote: remote.clone(),
    });
    let other_name = Remote {
        name: "dr2".into(),
        ..remote.clone()
    };
    assert_eq!(
        h.err(Command::CreateRemote { remote: other_name }),
        MetaError::RemoteExists("dr".into())
    );
    match h.q(Query::ListRemotes) {
        Ok(QueryReply::Remotes(r)) => assert_eq!(r, vec![remote]),
        other => panic!("{other:?}"),
    }
    h.ok(Command::DeleteRemote { name: "dr".into() });
    assert_eq!(
        h.err(Command::DeleteRemote { name: "dr".into() }),
        MetaError::NoSuchRemote("dr".into())
    );
}
