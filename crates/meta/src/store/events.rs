//! Notification topics and the outbox: notification events and replication
//! tasks are appended by the same command that changes the object (so none
//! is ever missed), leased by workers in commit order with per-key
//! ordering, and removed once delivered.

use super::db::{CF_OUTBOX, CF_TOPICS};
use super::keys::u64_key;
use super::tx::{Step, Tx};
use std::collections::HashSet;
use tessera_types::events::{
    EventName, Lease, NotificationConfig, OutboxEvent, OutboxKind, ReplicaTarget, Target, Topic,
};
use tessera_types::meta::{CommandReply, MetaError};
use tessera_types::{BucketRecord, UnixMillis};

pub(crate) fn create_topic(tx: &mut Tx<'_>, topic: &Topic) -> Step<CommandReply> {
    super::keys::validate_component("topic name", &topic.name)?;
    if topic.name.is_empty() {
        return Err(MetaError::Invalid("empty topic name".into()).into());
    }
    if tx.get::<Topic>(CF_TOPICS, topic.name.as_bytes())?.is_some() {
        return Err(MetaError::TopicExists.into());
    }
    tx.put(CF_TOPICS, topic.name.as_bytes(), topic)?;
    Ok(CommandReply::Done)
}

pub(crate) fn delete_topic(tx: &mut Tx<'_>, name: &str) -> Step<CommandReply> {
    if tx.get::<Topic>(CF_TOPICS, name.as_bytes())?.is_none() {
        return Err(MetaError::NoSuchTopic(name.to_string()).into());
    }
    tx.delete(CF_TOPICS, name.as_bytes())?;
    for (k, e) in tx.scan_prefix::<OutboxEvent>(CF_OUTBOX, b"")? {
        if e.target.topic() == Some(name) {
            tx.delete(CF_OUTBOX, &k)?;
        }
    }
    Ok(CommandReply::Done)
}

/// Every topic of `config` must exist.
pub(crate) fn check_topics(tx: &Tx<'_>, config: &NotificationConfig) -> Step<()> {
    for rule in &config.rules {
        if tx.get::<Topic>(CF_TOPICS, rule.topic.as_bytes())?.is_none() {
            return Err(MetaError::NoSuchTopic(rule.topic.clone()).into());
        }
    }
    Ok(())
}

/// What changed, for [`queue`].
pub(crate) struct Change<'a> {
    pub event: EventName,
    pub key: &'a str,
    pub size: u64,
    pub etag: &'a str,
    pub time: UnixMillis,
    /// The change wrote a replica: replication does not copy it again.
    pub replica: bool,
}

/// Appends what `change` causes: one event per topic whose rules in
/// `bucket`'s notification configuration select it, and the replication
/// task of the rule that selects its key.
pub(crate) fn queue(tx: &mut Tx<'_>, bucket: &BucketRecord, change: &Change<'_>) -> Step<()> {
    if let Some(config) = &bucket.notification {
        let mut topics = HashSet::new();
        for rule in &config.rules {
            let selected = change.event == EventName::TestEvent
                || rule.selects(change.event.as_str(), change.key);
            if selected && topics.insert(rule.topic.as_str()) {
                let target = Target::Topic(rule.topic.clone());
                append(tx, bucket, change, target, &rule.id)?;
            }
        }
    }
    if let Some((rule_id, target)) = replica_target(bucket, change) {
        append(tx, bucket, change, Target::Replica(target), &rule_id)?;
    }
    Ok(())
}

/// The replication task `change` causes, if any: writes of source objects
/// and, where the rule says so, deletes.
pub(crate) fn replica_target(
    bucket: &BucketRecord,
    change: &Change<'_>,
) -> Option<(String, ReplicaTarget)> {
    let rule = bucket.replication.as_ref()?.rule_for(change.key)?;
    let wanted = match change.event {
        EventName::TestEvent => false,
        EventName::ObjectRemovedDelete => rule.replicate_deletes,
        _ => !change.replica,
    };
    wanted.then(|| {
        let target = ReplicaTarget {
            bucket: rule.destination_bucket.clone(),
            storage_class: rule.storage_class,
            replicate_deletes: rule.replicate_deletes,
        };
        (rule.id.clone(), target)
    })
}

pub(crate) fn append(
    tx: &mut Tx<'_>,
    bucket: &BucketRecord,
    change: &Change<'_>,
    target: Target,
    rule_id: &str,
) -> Step<()> {
    let seq = tx.next_seq();
    let event = OutboxEvent {
        seq,
        target,
        rule_id: rule_id.to_string(),
        event: change.event,
        bucket: bucket.name.clone(),
        key: change.key.to_string(),
        size: change.size,
        etag: change.etag.to_string(),
        time: change.time,
        attempts: 0,
        lease: None,
        failed: None,
    };
    tx.put(CF_OUTBOX, &u64_key(seq), &event)?;
    Ok(())
}

pub(crate) fn lease(
    tx: &mut Tx<'_>,
    worker: &str,
    now: UnixMillis,
    lease_ms: u64,
    max: u32,
    kind: OutboxKind,
) -> Step<CommandReply> {
    let until = now.saturating_add(i64::try_from(lease_ms).unwrap_or(i64::MAX));
    // Keys (per target) with an earlier entry not yet delivered: their
    // later entries wait, so that each key's changes arrive in order. A
    // failed replication task does not hold back later ones: each task
    // copies the key's current state, so a later one supersedes it.
    let mut blocked: HashSet<(Target, String, String)> = HashSet::new();
    let mut out = Vec::new();
    for (k, mut e) in tx.scan_prefix::<OutboxEvent>(CF_OUTBOX, b"")? {
        if out.len() >= max as usize {
            break;
        }
        if e.target.kind() != kind {
            continue;
        }
        let id = (e.target.clone(), e.bucket.clone(), e.key.clone());
        if blocked.contains(&id) {
            continue;
        }
        let superseded = e.failed.is_some() && kind == OutboxKind::Replication;
        if !superseded {
            blocked.insert(id);
        }
        let held = e.lease.as_ref().is_some_and(|l| l.until > now);
        if e.failed.is_some() || held {
            continue;
        }
        e.lease = Some(Lease {
            worker: worker.to_string(),
            until,
        });
        tx.put(CF_OUTBOX, &k, &e)?;
        out.push(e);
    }
    Ok(CommandReply::Events(out))
}

pub(crate) fn renew(
    tx: &mut Tx<'_>,
    worker: &str,
    seqs: &[u64],
    until: UnixMillis,
) -> Step<CommandReply> {
    for seq in seqs {
        let k = u64_key(*seq);
        let Some(mut e) = tx.get::<OutboxEvent>(CF_OUTBOX, &k)? else {
            continue;
        };
        if let Some(lease) = e.lease.as_mut().filter(|l| l.worker == worker) {
            lease.until = lease.until.max(until);
            tx.put(CF_OUTBOX, &k, &e)?;
        }
    }
    Ok(CommandReply::Done)
}

pub(crate) fn ack(tx: &mut Tx<'_>, seqs: &[u64]) -> Step<CommandReply> {
    for seq in seqs {
        tx.delete(CF_OUTBOX, &u64_key(*seq))?;
    }
    Ok(CommandReply::Done)
}

pub(crate) fn retry(
    tx: &mut Tx<'_>,
    seqs: &[u64],
    error: &str,
    max_attempts: u32,
) -> Step<CommandReply> {
    for seq in seqs {
        let k = u64_key(*seq);
        let Some(mut e) = tx.get::<OutboxEvent>(CF_OUTBOX, &k)? else {
            continue;
        };
        e.attempts += 1;
        e.lease = None;
        if e.attempts >= max_attempts {
            e.failed = Some(error.to_string());
        }
        tx.put(CF_OUTBOX, &k, &e)?;
    }
    Ok(CommandReply::Done)
}

pub(crate) fn replay(
    tx: &mut Tx<'_>,
    topic: Option<&str>,
    kind: Option<OutboxKind>,
    bucket: Option<&str>,
) -> Step<CommandReply> {
    for (k, mut e) in tx.scan_prefix::<OutboxEvent>(CF_OUTBOX, b"")? {
        let selected = topic.is_none_or(|t| e.target.topic() == Some(t)) && e.matches(kind, bucket);
        if e.failed.is_some() && selected {
            e.failed = None;
            e.attempts = 0;
            tx.put(CF_OUTBOX, &k, &e)?;
        }
    }
    Ok(CommandReply::Done)
}
