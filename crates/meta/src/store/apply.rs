//! Applying one [`Command`] to the state machine: the semantics documented on
//! each variant, computed deterministically from the current state and
//! collected into one `WriteBatch`.

use super::db::{self, CF_BUCKETS, CF_GC, CF_KEYS, CF_NODES, CF_OBJECTS, CF_PARTS, CF_UPLOADS};
use super::keys::{self, u64_key};
use crate::{Error, Result};
use rocksdb::{WriteBatch, DB};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::{BTreeMap, HashSet};
use tessera_types::codec;
use tessera_types::meta::{
    BucketConfig, Command, CommandReply, CommandResult, GcEntry, MetaError, Precondition,
};
use tessera_types::{
    AccessKey, Acl, BlockId, BlockRef, BucketRecord, NodeInfo, ObjectRecord, PartRecord, Segment,
    UploadRecord,
};

/// Why a command stopped: an application outcome, or a storage failure.
enum Abort {
    App(MetaError),
    Store(Error),
}

impl From<MetaError> for Abort {
    fn from(e: MetaError) -> Self {
        Abort::App(e)
    }
}

impl From<Error> for Abort {
    fn from(e: Error) -> Self {
        Abort::Store(e)
    }
}

type Step<T> = std::result::Result<T, Abort>;

/// Pending writes of one command, reading the state as it was before it.
pub(crate) struct Tx<'a> {
    db: &'a DB,
    batch: WriteBatch,
    start_gc_seq: u64,
    next_gc_seq: u64,
}

impl<'a> Tx<'a> {
    pub(crate) fn new(db: &'a DB, next_gc_seq: u64) -> Self {
        Tx {
            db,
            batch: WriteBatch::default(),
            start_gc_seq: next_gc_seq,
            next_gc_seq,
        }
    }

    /// The collected writes and the GC sequence number to persist with them.
    pub(crate) fn into_parts(self) -> (WriteBatch, u64) {
        (self.batch, self.next_gc_seq)
    }

    fn get<T: DeserializeOwned>(&self, cf: &str, key: &[u8]) -> Result<Option<T>> {
        db::get(self.db, cf, key)
    }

    fn put<T: Serialize>(&mut self, cf: &str, key: &[u8], value: &T) -> Result<()> {
        let bytes = codec::encode(value)?;
        self.batch.put_cf(db::cf(self.db, cf)?, key, bytes);
        Ok(())
    }

    fn delete(&mut self, cf: &str, key: &[u8]) -> Result<()> {
        self.batch.delete_cf(db::cf(self.db, cf)?, key);
        Ok(())
    }

    /// Whether any key in `cf` starts with `prefix`.
    fn any_with_prefix(&self, cf: &str, prefix: &[u8]) -> Result<bool> {
        let mut it = self.db.raw_iterator_cf(db::cf(self.db, cf)?);
        it.seek(prefix);
        let found = it.key().is_some_and(|k| k.starts_with(prefix));
        it.status()?;
        Ok(found)
    }

    /// Every entry of `cf` whose key starts with `prefix`, decoded.
    fn scan_prefix<T: DeserializeOwned>(
        &self,
        cf: &str,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, T)>> {
        let mut out = Vec::new();
        let mut it = self.db.raw_iterator_cf(db::cf(self.db, cf)?);
        it.seek(prefix);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(prefix) {
                break;
            }
            out.push((k.to_vec(), codec::decode(v)?));
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    /// Queues `blocks` for GC as one entry (nothing when empty).
    fn queue_gc(&mut self, blocks: Vec<BlockRef>) -> Result<()> {
        if blocks.is_empty() {
            return Ok(());
        }
        let seq = self.next_gc_seq;
        self.next_gc_seq += 1;
        self.put(CF_GC, &u64_key(seq), &GcEntry { seq, blocks })
    }
}

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
        } => put_object(tx, bucket, key, object, precondition),
        Command::DeleteObject { bucket, key } => delete_object(tx, bucket, key),
        Command::DeleteObjects { bucket, keys } => delete_objects(tx, bucket, keys),
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
        Command::AckGc { seqs } => ack_gc(tx, seqs),
        Command::UpdateBlock { bucket, key, block } => update_block(tx, bucket, key, block),
        Command::SetBucketConfig { bucket, config } => set_bucket_config(tx, bucket, config),
        Command::SetObjectAcl { bucket, key, acl } => set_object_acl(tx, bucket, key, acl),
    };
    match outcome {
        Ok(reply) => Ok(Ok(reply)),
        Err(Abort::App(e)) => {
            tx.batch.clear();
            tx.next_gc_seq = tx.start_gc_seq;
            Ok(Err(e))
        }
        Err(Abort::Store(e)) => Err(e),
    }
}

fn segment_blocks(segments: &[Segment]) -> impl Iterator<Item = &BlockRef> {
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

fn require_bucket(tx: &Tx<'_>, name: &str) -> Step<BucketRecord> {
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
    match config.clone() {
        BucketConfig::Acl(acl) => bucket.acl = acl,
        BucketConfig::Policy(p) => bucket.policy = p,
        BucketConfig::Cors(c) => bucket.cors = c,
        BucketConfig::Website(w) => bucket.website = w,
    }
    tx.put(CF_BUCKETS, name.as_bytes(), &bucket)?;
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
) -> Step<CommandReply> {
    keys::validate_object(bucket, key)?;
    require_bucket(tx, bucket)?;
    let k = keys::object_key(bucket, key);
    let previous: Option<ObjectRecord> = tx.get(CF_OBJECTS, &k)?;
    check_precondition(previous.as_ref(), pre)?;
    tx.put(CF_OBJECTS, &k, object)?;
    if let Some(prev) = &previous {
        tx.queue_gc(unreferenced(prev.blocks(), &object.segments))?;
    }
    Ok(CommandReply::Object(previous.map(Box::new)))
}

fn delete_object(tx: &mut Tx<'_>, bucket: &str, key: &str) -> Step<CommandReply> {
    keys::validate_object(bucket, key)?;
    require_bucket(tx, bucket)?;
    let k = keys::object_key(bucket, key);
    let previous: Option<ObjectRecord> = tx.get(CF_OBJECTS, &k)?;
    if let Some(prev) = &previous {
        tx.delete(CF_OBJECTS, &k)?;
        tx.queue_gc(prev.blocks().cloned().collect())?;
    }
    Ok(CommandReply::Object(previous.map(Box::new)))
}

fn delete_objects(tx: &mut Tx<'_>, bucket: &str, keys: &[String]) -> Step<CommandReply> {
    require_bucket(tx, bucket)?;
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
        }
    }
    tx.queue_gc(freed)?;
    Ok(CommandReply::Done)
}

fn update_block(tx: &mut Tx<'_>, bucket: &str, key: &str, block: &BlockRef) -> Step<CommandReply> {
    keys::validate_object(bucket, key)?;
    let k = keys::object_key(bucket, key);
    let mut object: Option<ObjectRecord> = tx.get(CF_OBJECTS, &k)?;
    let slot = object.as_mut().and_then(|o| {
        o.segments.iter_mut().find_map(|s| match s {
            Segment::Block(b) if b.id == block.id => Some(b),
            _ => None,
        })
    });
    match slot {
        Some(stored) => {
            *stored = block.clone();
            if let Some(o) = &object {
                tx.put(CF_OBJECTS, &k, o)?;
            }
        }
        None => {
            // The version moved on: the rebuilt shards are garbage.
            tx.queue_gc(vec![block.clone()])?;
        }
    }
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
    tx.put(CF_OBJECTS, &k, object)?;
    // Free whatever the new object does not reference: parts left out of the
    // list and the replaced version.
    let released = parts
        .values()
        .flat_map(|p| segment_blocks(&p.segments))
        .chain(previous.iter().flat_map(|o| o.blocks()));
    tx.queue_gc(unreferenced(released, &object.segments))?;
    Ok(CommandReply::Object(previous.map(Box::new)))
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

fn create_access_key(tx: &mut Tx<'_>, key: &AccessKey) -> Step<CommandReply> {
    keys::validate_component("access key id", &key.access_key_id)?;
    let k = key.access_key_id.as_bytes();
    if tx.get::<AccessKey>(CF_KEYS, k)?.is_some() {
        return Err(MetaError::AccessKeyExists.into());
    }
    tx.put(CF_KEYS, k, key)?;
    Ok(CommandReply::Done)
}

fn delete_access_key(tx: &mut Tx<'_>, access_key_id: &str) -> Step<CommandReply> {
    let k = access_key_id.as_bytes();
    if tx.get::<AccessKey>(CF_KEYS, k)?.is_none() {
        return Err(MetaError::NoSuchAccessKey.into());
    }
    tx.delete(CF_KEYS, k)?;
    Ok(CommandReply::Done)
}

fn register_node(tx: &mut Tx<'_>, node: &NodeInfo) -> Step<CommandReply> {
    tx.put(CF_NODES, &u64_key(node.id), node)?;
    Ok(CommandReply::Done)
}

fn ack_gc(tx: &mut Tx<'_>, seqs: &[u64]) -> Step<CommandReply> {
    for seq in seqs {
        tx.delete(CF_GC, &u64_key(*seq))?;
    }
    Ok(CommandReply::Done)
}
