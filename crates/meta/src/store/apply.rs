//! Applying one [`Command`] to the state machine: the semantics documented on
//! each variant, computed deterministically from the current state and
//! collected into one `WriteBatch`.

use super::cluster::{ack_gc, create_access_key, delete_access_key, register_node, set_node_state};
use super::db::{CF_BUCKETS, CF_OBJECTS, CF_PARTS, CF_UPLOADS};
use super::events::{self, Change};
use super::index;
use super::keys;
use super::replication;
pub(crate) use super::tx::Tx;
use super::tx::{Abort, Step};
use crate::Result;
use std::collections::{BTreeMap, HashMap, HashSet};
use tessera_types::events::EventName;
use tessera_types::meta::{
    BucketConfig, Command, CommandReply, CommandResult, MetaError, Precondition,
};
use tessera_types::replication::ReplicationStatus;
use tessera_types::{
    Acl, BlockId, BlockOwner, BlockRef, BucketRecord, ObjectRecord, PartRecord, Segment,
    UnixMillis, UploadRecord,
};

/// Applies `cmd`. The outer error is a storage failure (fatal to Raft); the
/// inner result is the command's committed outcome. On an application error
/// `tx` holds no writes.
pub(crate) fn execute(tx: &mut Tx<'_>, cmd: &Command) -> Result<CommandResult> {
    let outcome = match cmd {
        Command::CreateBucket { bucket } => create_bucket(tx, bucket),
        Command::DeleteBucket { name } => delete_bucket(tx, name),
        Command::PutObject {
            bucket,
            key,
            object,
            precondition,
            event,
        } => put_object(tx, bucket, key, object, precondition, *event),
        Command::DeleteObject { bucket, key, now } => delete_object(tx, bucket, key, *now),
        Command::DeleteObjects { bucket, keys, now } => delete_objects(tx, bucket, keys, *now),
        Command::CreateUpload { upload } => create_upload(tx, upload),
        Command::PutPart {
            bucket,
            key,
            upload_id,
            part,
        } => put_part(tx, bucket, key, upload_id, part),
        Command::CompleteUpload {
            bucket,
            key,
            upload_id,
            parts,
            object,
            precondition,
        } => complete_upload(tx, bucket, key, upload_id, parts, object, precondition),
        Command::AbortUpload {
            bucket,
            key,
            upload_id,
        } => abort_upload(tx, bucket, key, upload_id),
        Command::CreateAccessKey { key } => create_access_key(tx, key),
        Command::DeleteAccessKey { access_key_id } => delete_access_key(tx, access_key_id),
        Command::RegisterNode { node } => register_node(tx, node),
        Command::SetNodeState { id, state } => set_node_state(tx, *id, *state),
        Command::AckGc { seqs } => ack_gc(tx, seqs),
        Command::UpdateBlock { block, expected } => {
            index::update_block(tx, block, expected.as_deref())
        }
        Command::SetBucketConfig { bucket, config } => set_bucket_config(tx, bucket, config),
        Command::CreateTopic { topic } => events::create_topic(tx, topic),
        Command::DeleteTopic { name } => events::delete_topic(tx, name),
        Command::LeaseEvents {
            worker,
            now,
            lease_ms,
            max,
            kind,
        } => events::lease(tx, worker, *now, *lease_ms, *max, *kind),
        Command::RenewLeases {
            worker,
            seqs,
            until,
        } => events::renew(tx, worker, seqs, *until),
        Command::AckEvents { seqs } => events::ack(tx, seqs),
        Command::RetryEvents {
            seqs,
            error,
            max_attempts,
        } => events::retry(tx, seqs, error, *max_attempts),
        Command::ReplayEvents {
            topic,
            kind,
            bucket,
        } => events::replay(tx, topic.as_deref(), *kind, bucket.as_deref()),
        Command::SetReplicationStatus { updates } => replication::set_status(tx, updates),
        Command::ResyncReplication {
            bucket,
            after,
            max,
            now,
        } => replication::resync(tx, bucket, after.as_deref(), *max, *now),
        Command::CreateRemote { remote } => replication::create_remote(tx, remote),
        Command::DeleteRemote { name } => replication::delete_remote(tx, name),
        Command::SetObjectAcl { bucket, key, acl } => set_object_acl(tx, bucket, key, acl),
        // Batches are taken apart by the state machine.
        Command::Batch { .. } => Err(MetaError::Invalid("a batch cannot be nested".into()).into()),
    };
    match outcome {
        Ok(reply) => Ok(Ok(reply)),
        Err(Abort::App(e)) => {
            tx.rollback();
            Ok(Err(e))
        }
        Err(Abort::Store(e)) => Err(e),
    }
}

pub(crate) fn segment_blocks(segments: &[Segment]) -> impl Iterator<Item = &BlockRef> {
    segments.iter().filter_map(|s| match s {
        Segment::Block(b) => Some(b),
        Segment::Inline(_) => None,
    })
}

/// Blocks no longer referenced: those of `released` that `kept` does not use.
fn unreferenced<'b>(
    released: impl Iterator<Item = &'b BlockRef>,
    kept: &[Segment],
) -> Vec<BlockRef> {
    let live: HashSet<BlockId> = segment_blocks(kept).map(|b| b.id).collect();
    released
        .filter(|b| !live.contains(&b.id))
        .cloned()
        .collect()
}

fn etag_eq(a: &str, b: &str) -> bool {
    a.trim_matches('"') == b.trim_matches('"')
}

fn check_precondition(current: Option<&ObjectRecord>, pre: &Precondition) -> Step<()> {
    let ok = match pre {
        Precondition::None => true,
        Precondition::NotExists => current.is_none(),
        Precondition::Exists => current.is_some(),
        Precondition::ETagMatches(etag) => current.is_some_and(|o| etag_eq(&o.etag, etag)),
    };
    if ok {
        Ok(())
    } else {
        Err(MetaError::PreconditionFailed.into())
    }
}

pub(crate) fn require_bucket(tx: &Tx<'_>, name: &str) -> Step<BucketRecord> {
    tx.get(CF_BUCKETS, name.as_bytes())?
        .ok_or(Abort::App(MetaError::NoSuchBucket))
}

fn require_upload(tx: &Tx<'_>, bucket: &str, key: &str, upload_id: &str) -> Step<UploadRecord> {
    keys::validate_object(bucket, key)?;
    keys::validate_component("upload id", upload_id)?;
    tx.get(CF_UPLOADS, &keys::upload_key(bucket, key, upload_id))?
        .ok_or(Abort::App(MetaError::NoSuchUpload))
}

fn create_bucket(tx: &mut Tx<'_>, bucket: &BucketRecord) -> Step<CommandReply> {
    keys::validate_component("bucket name", &bucket.name)?;
    if let Some(existing) = tx.get::<BucketRecord>(CF_BUCKETS, bucket.name.as_bytes())? {
        return Err(if existing.owner == bucket.owner {
            MetaError::BucketAlreadyOwnedByYou
        } else {
            MetaError::BucketAlreadyExists
        }
        .into());
    }
    tx.put(CF_BUCKETS, bucket.name.as_bytes(), bucket)?;
    Ok(CommandReply::Done)
}

fn set_bucket_config(tx: &mut Tx<'_>, name: &str, config: &BucketConfig) -> Step<CommandReply> {
    keys::validate_component("bucket name", name)?;
    let mut bucket = require_bucket(tx, name)?;
    let mut test_event = false;
    match config.clone() {
        BucketConfig::Notification(n) => {
            if let Some(n) = &n {
                events::check_topics(tx, n)?;
                test_event = true;
            }
            bucket.notification = n;
        }
        BucketConfig::Replication(r) => bucket.replication = r,
        BucketConfig::Acl(acl) => bucket.acl = acl,
        BucketConfig::Policy(p) => bucket.policy = p,
        BucketConfig::Cors(c) => bucket.cors = c,
        BucketConfig::Website(w) => bucket.website = w,
    }
    tx.put(CF_BUCKETS, name.as_bytes(), &bucket)?;
    if test_event {
        let change = Change {
            event: EventName::TestEvent,
            key: "",
            size: 0,
            etag: "",
            time: bucket.created,
            replica: false,
        };
        events::queue(tx, &bucket, &change)?;
    }
    Ok(CommandReply::Done)
}

fn set_object_acl(tx: &mut Tx<'_>, bucket: &str, key: &str, acl: &Acl) -> Step<CommandReply> {
    keys::validate_object(bucket, key)?;
    require_bucket(tx, bucket)?;
    let k = keys::object_key(bucket, key);
    let mut object: ObjectRecord = tx
        .get(CF_OBJECTS, &k)?
        .ok_or(Abort::App(MetaError::NoSuchKey))?;
    object.acl = acl.clone();
    tx.put(CF_OBJECTS, &k, &object)?;
    Ok(CommandReply::Done)
}

fn delete_bucket(tx: &mut Tx<'_>, name: &str) -> Step<CommandReply> {
    keys::validate_component("bucket name", name)?;
    require_bucket(tx, name)?;
    let prefix = keys::bucket_prefix(name);
    if tx.any_with_prefix(CF_OBJECTS, &prefix)? {
        return Err(MetaError::BucketNotEmpty.into());
    }
    for (k, _) in tx.scan_prefix::<UploadRecord>(CF_UPLOADS, &prefix)? {
        tx.delete(CF_UPLOADS, &k)?;
    }
    let mut blocks = Vec::new();
    for (k, part) in tx.scan_prefix::<PartRecord>(CF_PARTS, &prefix)? {
        blocks.extend(segment_blocks(&part.segments).cloned());
        tx.delete(CF_PARTS, &k)?;
    }
    tx.queue_gc(blocks)?;
    tx.delete(CF_BUCKETS, name.as_bytes())?;
    Ok(CommandReply::Done)
}

fn put_object(
    tx: &mut Tx<'_>,
    bucket: &str,
    key: &str,
    object: &ObjectRecord,
    pre: &Precondition,
    event: EventName,
) -> Step<CommandReply> {
    keys::validate_object(bucket, key)?;
    let b = require_bucket(tx, bucket)?;
    let k = keys::object_key(bucket, key);
    let previous: Option<ObjectRecord> = tx.get(CF_OBJECTS, &k)?;
    check_precondition(previous.as_ref(), pre)?;
    let object = replication::mark_pending(&b, key, object);
    tx.put(CF_OBJECTS, &k, &*object)?;
    tx.index_blocks(&object_owner(bucket, key), object.blocks())?;
    if let Some(prev) = &previous {
        tx.queue_gc(unreferenced(prev.blocks(), &object.segments))?;
    }
    events::queue(tx, &b, &created(event, key, &object))?;
    Ok(CommandReply::Object(previous.map(Box::new)))
}

fn object_owner(bucket: &str, key: &str) -> BlockOwner {
    BlockOwner::Object {
        bucket: bucket.into(),
        key: key.into(),
    }
}

/// The event of `object` written at `key`.
fn created<'a>(event: EventName, key: &'a str, object: &'a ObjectRecord) -> Change<'a> {
    Change {
        event,
        key,
        size: object.size,
        etag: &object.etag,
        time: object.last_modified,
        replica: object.replication_status == Some(ReplicationStatus::Replica),
    }
}

/// The event of `key` removed at `now`.
fn removed(key: &str, now: UnixMillis) -> Change<'_> {
    Change {
        event: EventName::ObjectRemovedDelete,
        key,
        size: 0,
        etag: "",
        time: now,
        replica: false,
    }
}

fn delete_object(tx: &mut Tx<'_>, bucket: &str, key: &str, now: UnixMillis) -> Step<CommandReply> {
    keys::validate_object(bucket, key)?;
    let b = require_bucket(tx, bucket)?;
    let k = keys::object_key(bucket, key);
    let previous: Option<ObjectRecord> = tx.get(CF_OBJECTS, &k)?;
    if let Some(prev) = &previous {
        tx.delete(CF_OBJECTS, &k)?;
        tx.queue_gc(prev.blocks().cloned().collect())?;
        events::queue(tx, &b, &removed(key, now))?;
    }
    Ok(CommandReply::Object(previous.map(Box::new)))
}

fn delete_objects(
    tx: &mut Tx<'_>,
    bucket: &str,
    keys: &[String],
    now: UnixMillis,
) -> Step<CommandReply> {
    let b = require_bucket(tx, bucket)?;
    let mut freed = Vec::new();
    let mut seen = HashSet::new();
    for key in keys {
        keys::validate_object(bucket, key)?;
        if !seen.insert(key.as_str()) {
            continue;
        }
        let k = keys::object_key(bucket, key);
        if let Some(prev) = tx.get::<ObjectRecord>(CF_OBJECTS, &k)? {
            tx.delete(CF_OBJECTS, &k)?;
            freed.extend(prev.blocks().cloned());
            events::queue(tx, &b, &removed(key, now))?;
        }
    }
    tx.queue_gc(freed)?;
    Ok(CommandReply::Done)
}

fn create_upload(tx: &mut Tx<'_>, upload: &UploadRecord) -> Step<CommandReply> {
    keys::validate_object(&upload.bucket, &upload.key)?;
    keys::validate_component("upload id", &upload.upload_id)?;
    require_bucket(tx, &upload.bucket)?;
    let k = keys::upload_key(&upload.bucket, &upload.key, &upload.upload_id);
    if tx.get::<UploadRecord>(CF_UPLOADS, &k)?.is_some() {
        return Err(MetaError::Invalid("upload id already in use".into()).into());
    }
    tx.put(CF_UPLOADS, &k, upload)?;
    Ok(CommandReply::Done)
}

fn put_part(
    tx: &mut Tx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part: &PartRecord,
) -> Step<CommandReply> {
    if part.number == 0 {
        return Err(MetaError::Invalid("part number must be at least 1".into()).into());
    }
    require_upload(tx, bucket, key, upload_id)?;
    let k = keys::part_key(bucket, key, upload_id, part.number);
    let previous: Option<PartRecord> = tx.get(CF_PARTS, &k)?;
    tx.put(CF_PARTS, &k, part)?;
    let owner = BlockOwner::Part {
        bucket: bucket.into(),
        key: key.into(),
        upload_id: upload_id.into(),
        number: part.number,
    };
    tx.index_blocks(&owner, segment_blocks(&part.segments))?;
    if let Some(prev) = &previous {
        tx.queue_gc(unreferenced(segment_blocks(&prev.segments), &part.segments))?;
    }
    Ok(CommandReply::Done)
}

/// Removes an upload and all its parts; returns the parts.
fn remove_upload(
    tx: &mut Tx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Step<BTreeMap<u32, PartRecord>> {
    tx.delete(CF_UPLOADS, &keys::upload_key(bucket, key, upload_id))?;
    let mut parts = BTreeMap::new();
    for (k, part) in
        tx.scan_prefix::<PartRecord>(CF_PARTS, &keys::parts_prefix(bucket, key, upload_id))?
    {
        tx.delete(CF_PARTS, &k)?;
        parts.insert(part.number, part);
    }
    Ok(parts)
}

fn complete_upload(
    tx: &mut Tx<'_>,
    bucket: &str,
    key: &str,
    upload_id: &str,
    listed: &[(u32, String)],
    object: &ObjectRecord,
    pre: &Precondition,
) -> Step<CommandReply> {
    require_upload(tx, bucket, key, upload_id)?;
    let b = require_bucket(tx, bucket)?;
    let parts = remove_upload(tx, bucket, key, upload_id)?;
    for (number, etag) in listed {
        match parts.get(number) {
            Some(p) if etag_eq(&p.etag, etag) => {}
            _ => return Err(MetaError::InvalidPart(*number).into()),
        }
    }
    let k = keys::object_key(bucket, key);
    let previous: Option<ObjectRecord> = tx.get(CF_OBJECTS, &k)?;
    check_precondition(previous.as_ref(), pre)?;
    let object = &with_stored_part_blocks(object, &parts);
    let object = &*replication::mark_pending(&b, key, object);
    tx.put(CF_OBJECTS, &k, object)?;
    tx.index_blocks(&object_owner(bucket, key), object.blocks())?;
    // Free whatever the new object does not reference: parts left out of the
    // list and the replaced version.
    let released = parts
        .values()
        .flat_map(|p| segment_blocks(&p.segments))
        .chain(previous.iter().flat_map(|o| o.blocks()));
    tx.queue_gc(unreferenced(released, &object.segments))?;
    let event = EventName::ObjectCreatedCompleteMultipartUpload;
    events::queue(tx, &b, &created(event, key, object))?;
    Ok(CommandReply::Object(previous.map(Box::new)))
}

/// `object` with each block taken from a part replaced by the part's
/// stored copy: a repair may have recorded rebuilt shards after the gateway
/// read the parts.
fn with_stored_part_blocks(
    object: &ObjectRecord,
    parts: &BTreeMap<u32, PartRecord>,
) -> ObjectRecord {
    let stored: HashMap<BlockId, &BlockRef> = parts
        .values()
        .flat_map(|p| segment_blocks(&p.segments))
        .map(|b| (b.id, b))
        .collect();
    let mut object = object.clone();
    for segment in &mut object.segments {
        if let Segment::Block(b) = segment {
            if let Some(s) = stored.get(&b.id) {
                if index::same_shape(s, b) {
                    *b = (*s).clone();
                }
            }
        }
    }
    object
}

fn abort_upload(tx: &mut Tx<'_>, bucket: &str, key: &str, upload_id: &str) -> Step<CommandReply> {
    require_upload(tx, bucket, key, upload_id)?;
    let parts = remove_upload(tx, bucket, key, upload_id)?;
    let blocks = parts
        .values()
        .flat_map(|p| segment_blocks(&p.segments))
        .cloned()
        .collect();
    tx.queue_gc(blocks)?;
    Ok(CommandReply::Done)
}
