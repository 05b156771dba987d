//! Point reads and small whole-keyspace listings.

use crate::store::db::{
    self, CF_BUCKETS, CF_GC, CF_KEYS, CF_NODES, CF_OBJECTS, CF_OUTBOX, CF_PARTS, CF_UPLOADS,
};
use crate::store::keys;
use crate::Result;
use rocksdb::DB;
use serde::de::DeserializeOwned;
use tessera_types::codec;
use tessera_types::events::{OutboxEvent, OutboxKind};
use tessera_types::meta::{GcEntry, MetaError};
use tessera_types::{AccessKey, BucketRecord, NodeInfo, ObjectRecord, PartRecord, UploadRecord};

/// Up to `max` values of `cf` from `start` on (all of them when `max` is `None`).
fn scan<T: DeserializeOwned>(
    db: &DB,
    cf: &str,
    start: &[u8],
    max: Option<usize>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut it = db.raw_iterator_cf(db::cf(db, cf)?);
    it.seek(start);
    while let Some(v) = it.value() {
        if max.is_some_and(|m| out.len() >= m) {
            break;
        }
        out.push(codec::decode(v)?);
        it.next();
    }
    it.status()?;
    Ok(out)
}

pub(crate) fn get_bucket(db: &DB, name: &str) -> Result<Option<BucketRecord>> {
    db::get(db, CF_BUCKETS, name.as_bytes())
}

/// All buckets, sorted by name.
pub(crate) fn list_buckets(db: &DB) -> Result<Vec<BucketRecord>> {
    scan(db, CF_BUCKETS, b"", None)
}

pub(crate) fn get_object(db: &DB, bucket: &str, key: &str) -> Result<Option<ObjectRecord>> {
    db::get(db, CF_OBJECTS, &keys::object_key(bucket, key))
}

pub(crate) fn get_upload(
    db: &DB,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<Option<UploadRecord>> {
    db::get(db, CF_UPLOADS, &keys::upload_key(bucket, key, upload_id))
}

/// Parts numbered above `marker`, at most `max`, and whether more follow.
pub(crate) fn list_parts(
    db: &DB,
    bucket: &str,
    key: &str,
    upload_id: &str,
    marker: u32,
    max: u32,
) -> Result<Result<(Vec<PartRecord>, bool), MetaError>> {
    if get_upload(db, bucket, key, upload_id)?.is_none() {
        return Ok(Err(MetaError::NoSuchUpload));
    }
    let prefix = keys::parts_prefix(bucket, key, upload_id);
    let Some(first) = marker.checked_add(1) else {
        return Ok(Ok((Vec::new(), false)));
    };
    let mut start = prefix.clone();
    start.extend_from_slice(&first.to_be_bytes());
    let mut parts = Vec::new();
    let mut truncated = false;
    let mut it = db::prefix_iterator(db, CF_PARTS, &prefix)?;
    it.seek(&start);
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        if !k.starts_with(&prefix) {
            break;
        }
        if parts.len() >= max as usize {
            truncated = true;
            break;
        }
        parts.push(codec::decode(v)?);
        it.next();
    }
    it.status()?;
    Ok(Ok((parts, truncated)))
}

pub(crate) fn get_access_key(db: &DB, id: &str) -> Result<Option<AccessKey>> {
    db::get(db, CF_KEYS, id.as_bytes())
}

pub(crate) fn list_access_keys(db: &DB) -> Result<Vec<AccessKey>> {
    scan(db, CF_KEYS, b"", None)
}

/// The cluster map, by node id.
pub(crate) fn list_nodes(db: &DB) -> Result<Vec<NodeInfo>> {
    scan(db, CF_NODES, b"", None)
}

/// The oldest `max` GC entries.
pub(crate) fn list_gc(db: &DB, max: u32) -> Result<Vec<GcEntry>> {
    scan(db, CF_GC, b"", Some(max as usize))
}

/// Every notification topic, by name.
pub(crate) fn list_topics(db: &DB) -> Result<Vec<tessera_types::events::Topic>> {
    scan(db, crate::store::db::CF_TOPICS, b"", None)
}

pub(crate) fn get_topic(db: &DB, name: &str) -> Result<Option<tessera_types::events::Topic>> {
    db::get(db, crate::store::db::CF_TOPICS, name.as_bytes())
}

/// Which outbox entries a query is about: of one kind, one source bucket's.
type OutboxFilter<'a> = (Option<OutboxKind>, Option<&'a str>);

/// Outbox entries after `after` (failed ones only, with `failed_only`).
pub(crate) fn list_events(
    db: &DB,
    after: Option<u64>,
    max: u32,
    failed_only: bool,
    (kind, bucket): OutboxFilter<'_>,
) -> Result<Vec<OutboxEvent>> {
    let start = after.map(|s| s.saturating_add(1)).unwrap_or(0);
    let all: Vec<OutboxEvent> = scan(db, CF_OUTBOX, &keys::u64_key(start), None)?;
    Ok(all
        .into_iter()
        .filter(|e| (!failed_only || e.failed.is_some()) && e.matches(kind, bucket))
        .take(max as usize)
        .collect())
}

/// Pending and failed outbox entries, and the oldest pending one's time.
pub(crate) fn event_stats(
    db: &DB,
    kind: Option<OutboxKind>,
    bucket: Option<&str>,
) -> Result<tessera_types::meta::EventStats> {
    let all: Vec<OutboxEvent> = scan(db, CF_OUTBOX, b"", None)?;
    let mut stats = tessera_types::meta::EventStats::default();
    for e in all.iter().filter(|e| e.matches(kind, bucket)) {
        if e.failed.is_some() {
            stats.failed += 1;
        } else {
            stats.pending += 1;
            stats.oldest = Some(stats.oldest.map_or(e.time, |o| o.min(e.time)));
        }
    }
    Ok(stats)
}

/// Every remote replication endpoint, by name.
pub(crate) fn list_remotes(db: &DB) -> Result<Vec<tessera_types::replication::Remote>> {
    scan(db, crate::store::db::CF_REMOTES, b"", None)
}
