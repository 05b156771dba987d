//! Notification topics and the event outbox.

use super::*;
use tessera_types::events::{
    EventName, NotificationConfig, NotificationRule, OutboxEvent, OutboxKind, Topic,
};
use tessera_types::meta::{BucketConfig, Precondition};

fn topic(name: &str) -> Topic {
    Topic {
        name: name.into(),
        arn: format!("arn:aws:sns:us-east-1:000000000000:{name}"),
        webhook: "http://127.0.0.1:1/hook".into(),
        created: 1,
    }
}

fn rule(id: &str, topic: &str, events: &[&str], prefix: Option<&str>) -> NotificationRule {
    NotificationRule {
        id: id.into(),
        topic: topic.into(),
        topic_arn: format!("arn:aws:sns:us-east-1:000000000000:{topic}"),
        events: events.iter().map(|e| e.to_string()).collect(),
        prefix: prefix.map(str::to_string),
        suffix: None,
    }
}

fn events(h: &Harness) -> Vec<OutboxEvent> {
    match h.q(Query::ListEvents {
        after: None,
        max: 1000,
        failed_only: false,
        kind: None,
        bucket: None,
    }) {
        Ok(QueryReply::Events(e)) => e,
        other => panic!("{other:?}"),
    }
}

fn lease(h: &mut Harness, worker: &str, now: i64, max: u32) -> Vec<OutboxEvent> {
    match h.ok(Command::LeaseEvents {
        worker: worker.into(),
        now,
        lease_ms: 1000,
        max,
        kind: OutboxKind::Notification,
    }) {
        CommandReply::Events(e) => e,
        other => panic!("{other:?}"),
    }
}

fn configure(h: &mut Harness, rules: Vec<NotificationRule>) {
    h.ok(Command::SetBucketConfig {
        bucket: "b".into(),
        config: BucketConfig::Notification(Some(NotificationConfig { rules })),
    });
}

#[test]
fn topics_are_created_listed_and_deleted() {
    let mut h = Harness::new();
    h.ok(Command::CreateTopic { topic: topic("t") });
    assert_eq!(
        h.err(Command::CreateTopic { topic: topic("t") }),
        MetaError::TopicExists
    );
    assert_eq!(
        h.q(Query::ListTopics),
        Ok(QueryReply::Topics(vec![topic("t")]))
    );
    h.ok(Command::DeleteTopic { name: "t".into() });
    assert_eq!(
        h.err(Command::DeleteTopic { name: "t".into() }),
        MetaError::NoSuchTopic("t".into())
    );
}

#[test]
fn changes_queue_the_configured_events_in_the_same_commit() {
    let mut h = Harness::new();
    h.bucket("b");
    // An unknown topic is refused, and nothing is stored.
    assert_eq!(
        h.err(Command::SetBucketConfig {
            bucket: "b".into(),
            config: BucketConfig::Notification(Some(NotificationConfig {
                rules: vec![rule("r", "nope", &["s3:ObjectCreated:*"], None)],
            })),
        }),
        MetaError::NoSuchTopic("nope".into())
    );
    h.ok(Command::CreateTopic { topic: topic("t") });
    h.ok(Command::CreateTopic { topic: topic("u") });
    configure(
        &mut h,
        vec![
            rule("created", "t", &["s3:ObjectCreated:*"], Some("img/")),
            rule("removed", "u", &["s3:ObjectRemoved:Delete"], None),
        ],
    );
    // Setting the configuration sends a test event to each topic.
    let e = events(&h);
    assert_eq!(e.len(), 2);
    assert!(e.iter().all(|e| e.event == EventName::TestEvent));

    h.put("b", "img/a", object("e1", &[1]));
    h.put("b", "doc/x", object("e2", &[2])); // filtered out
    h.ok(Command::PutObject {
        bucket: "b".into(),
        key: "img/c".into(),
        object: inline_object("e3"),
        precondition: Precondition::None,
        event: EventName::ObjectCreatedCopy,
    });
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "img/a".into(),
        now: 77,
    });
    // Deleting a key that does not exist notifies nothing.
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "img/none".into(),
        now: 78,
    });
    h.ok(Command::DeleteObjects {
        bucket: "b".into(),
        keys: vec!["doc/x".into(), "img/c".into()],
        now: 79,
    });
    let got: Vec<(String, EventName, String)> = events(&h)
        .into_iter()
        .skip(2)
        .map(|e| (e.target.describe(), e.event, e.key))
        .collect();
    assert_eq!(
        got,
        vec![
            ("t".into(), EventName::ObjectCreatedPut, "img/a".into()),
            ("t".into(), EventName::ObjectCreatedCopy, "img/c".into()),
            ("u".into(), EventName::ObjectRemovedDelete, "img/a".into()),
            ("u".into(), EventName::ObjectRemovedDelete, "doc/x".into()),
            ("u".into(), EventName::ObjectRemovedDelete, "img/c".into()),
        ]
    );
    let put = &events(&h)[2];
    assert_eq!(
        (put.size, put.etag.as_str(), put.bucket.as_str()),
        (10, "e1", "b")
    );
    // Sequence numbers follow commit order.
    let seqs: Vec<u64> = events(&h).iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn leases_keep_per_key_order_and_expire() {
    let mut h = Harness::new();
    h.bucket("b");
    h.ok(Command::CreateTopic { topic: topic("t") });
    configure(
        &mut h,
        vec![rule("all", "t", &["s3:ObjectCreated:*"], None)],
    );
    let test = lease(&mut h, "w1", 0, 10);
    assert_eq!(test.len(), 1);
    h.ok(Command::AckEvents {
        seqs: vec![test[0].seq],
    });
    h.put("b", "k", object("v1", &[1]));
    h.put("b", "k", object("v2", &[2]));
    h.put("b", "other", object("o", &[3]));

    // The second event of "k" waits for the first.
    let first = lease(&mut h, "w1", 1000, 10);
    let keys: Vec<(&str, &str)> = first
        .iter()
        .map(|e| (e.key.as_str(), e.etag.as_str()))
        .collect();
    assert_eq!(keys, vec![("k", "v1"), ("other", "o")]);
    // Leased events are not leased again, not even to another worker...
    assert!(lease(&mut h, "w2", 1500, 10).is_empty());
    // ...until the lease expires (the worker died): then another gets them.
    let again = lease(&mut h, "w2", 2500, 10);
    assert_eq!(again.len(), 2);
    assert_eq!(again[0].lease.as_ref().unwrap().worker, "w2");
    h.ok(Command::AckEvents {
        seqs: again.iter().map(|e| e.seq).collect(),
    });
    let next = lease(&mut h, "w2", 2600, 10);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].etag, "v2");

    // Failed deliveries are retried, then kept as failed, then replayed.
    for _ in 0..2 {
        h.ok(Command::RetryEvents {
            seqs: vec![next[0].seq],
            error: "connection refused".into(),
            max_attempts: 2,
        });
    }
    assert!(lease(&mut h, "w2", 9000, 10).is_empty());
    match h.q(Query::ListEvents {
        after: None,
        max: 10,
        failed_only: true,
        kind: None,
        bucket: None,
    }) {
        Ok(QueryReply::Events(e)) => {
            assert_eq!(e.len(), 1);
            assert_eq!(e[0].failed.as_deref(), Some("connection refused"));
            assert_eq!(e[0].attempts, 2);
        }
        other => panic!("{other:?}"),
    }
    h.ok(Command::ReplayEvents {
        topic: None,
        kind: None,
        bucket: None,
    });
    assert_eq!(lease(&mut h, "w2", 9100, 10).len(), 1);
}
