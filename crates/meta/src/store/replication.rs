//! Replication bookkeeping: the replication status of source objects,
//! resyncs of existing objects, and remote endpoints.

use super::db::{CF_OBJECTS, CF_REMOTES};
use super::events::{self, Change};
use super::keys;
use super::tx::{Abort, Step, Tx};
use tessera_types::events::{EventName, OutboxKind, Target};
use tessera_types::meta::{CommandReply, MetaError};
use tessera_types::replication::{Remote, ReplicationStatus, StatusUpdate};
use tessera_types::{BucketRecord, ObjectRecord, UnixMillis};

/// `object` as stored at `key` of `bucket`: PENDING when a replication rule
/// selects it (replicas excepted).
pub(crate) fn mark_pending<'o>(
    bucket: &BucketRecord,
    key: &str,
    object: &'o ObjectRecord,
) -> std::borrow::Cow<'o, ObjectRecord> {
    let replica = object.replication_status == Some(ReplicationStatus::Replica);
    let selected = !replica
        && bucket
            .replication
            .as_ref()
            .is_some_and(|c| c.rule_for(key).is_some());
    if selected {
        let mut marked = object.clone();
        marked.replication_status = Some(ReplicationStatus::Pending);
        std::borrow::Cow::Owned(marked)
    } else {
        std::borrow::Cow::Borrowed(object)
    }
}

pub(crate) fn set_status(tx: &mut Tx<'_>, updates: &[StatusUpdate]) -> Step<CommandReply> {
    for u in updates {
        keys::validate_object(&u.bucket, &u.key)?;
        let k = keys::object_key(&u.bucket, &u.key);
        let Some(mut object) = tx.get::<ObjectRecord>(CF_OBJECTS, &k)? else {
            continue;
        };
        let same = object.etag == u.etag && object.last_modified == u.last_modified;
        if same && object.replication_status != Some(ReplicationStatus::Replica) {
            object.replication_status = Some(u.status);
            tx.put(CF_OBJECTS, &k, &object)?;
        }
    }
    Ok(CommandReply::Done)
}

pub(crate) fn resync(
    tx: &mut Tx<'_>,
    bucket: &str,
    after: Option<&str>,
    max: u32,
    now: UnixMillis,
) -> Step<CommandReply> {
    keys::validate_component("bucket name", bucket)?;
    let b = super::apply::require_bucket(tx, bucket)?;
    if b.replication.is_none() {
        return Err(MetaError::Invalid(format!(
            "bucket {bucket} has no replication configuration"
        ))
        .into());
    }
    if after.is_none() {
        events::replay(tx, None, Some(OutboxKind::Replication), Some(bucket))?;
    }
    let prefix = keys::bucket_prefix(bucket);
    let start = match after {
        // The first key after `after`: `after` followed by a zero byte.
        Some(a) => {
            let mut k = keys::object_key(bucket, a);
            k.push(0);
            k
        }
        None => prefix.clone(),
    };
    // One entry beyond the page tells whether another page follows.
    let max = max.max(1) as usize;
    let mut page = tx.scan_from::<ObjectRecord>(CF_OBJECTS, &prefix, &start, max + 1)?;
    let more = page.len() > max;
    page.truncate(max);
    let mut queued = 0;
    let mut last = None;
    for (k, mut object) in page {
        let key = crate::query::utf8(&k[prefix.len()..]).map_err(Abort::Store)?;
        let change = Change {
            event: EventName::ObjectCreatedPut,
            key,
            size: object.size,
            etag: &object.etag,
            time: now,
            replica: object.replication_status == Some(ReplicationStatus::Replica),
        };
        if let Some((rule_id, target)) = events::replica_target(&b, &change) {
            events::append(tx, &b, &change, Target::Replica(target), &rule_id)?;
            object.replication_status = Some(ReplicationStatus::Pending);
            tx.put(CF_OBJECTS, &k, &object)?;
            queued += 1;
        }
        last = Some(key.to_string());
    }
    let next = if more { last } else { None };
    Ok(CommandReply::Resync { queued, next })
}

pub(crate) fn create_remote(tx: &mut Tx<'_>, remote: &Remote) -> Step<CommandReply> {
    keys::validate_component("remote name", &remote.name)?;
    keys::validate_component("bucket name", &remote.bucket)?;
    if remote.name.is_empty() || remote.bucket.is_empty() {
        return Err(MetaError::Invalid("a remote needs a name and a bucket".into()).into());
    }
    for (_, r) in tx.scan_prefix::<Remote>(CF_REMOTES, b"")? {
        if r.name == remote.name || r.bucket == remote.bucket {
            return Err(MetaError::RemoteExists(r.name).into());
        }
    }
    tx.put(CF_REMOTES, remote.name.as_bytes(), remote)?;
    Ok(CommandReply::Done)
}

pub(crate) fn delete_remote(tx: &mut Tx<'_>, name: &str) -> Step<CommandReply> {
    if tx.get::<Remote>(CF_REMOTES, name.as_bytes())?.is_none() {
        return Err(MetaError::NoSuchRemote(name.to_string()).into());
    }
    tx.delete(CF_REMOTES, name.as_bytes())?;
    Ok(CommandReply::Done)
}
