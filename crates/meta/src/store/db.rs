//! The node's RocksDB: column families and small typed helpers.

use crate::{Error, Result};
use rocksdb::{
    ColumnFamily, ColumnFamilyDescriptor, FlushOptions, Options, WriteBatch, WriteOptions, DB,
};
use serde::{de::DeserializeOwned, Serialize};
use std::path::Path;
use std::sync::Arc;
use tessera_types::codec;

/// Raft log: big-endian index -> encoded entry.
pub(crate) const CF_LOGS: &str = "logs";
/// Raft hard state: vote, committed, last purged log id.
pub(crate) const CF_RAFT: &str = "raft";
/// name -> BucketRecord.
pub(crate) const CF_BUCKETS: &str = "buckets";
/// bucket\0key -> ObjectRecord.
pub(crate) const CF_OBJECTS: &str = "objects";
/// bucket\0key\0upload_id -> UploadRecord.
pub(crate) const CF_UPLOADS: &str = "uploads";
/// bucket\0key\0upload_id\0be u32 -> PartRecord.
pub(crate) const CF_PARTS: &str = "parts";
/// access key id -> AccessKey.
pub(crate) const CF_KEYS: &str = "keys";
/// be u64 node id -> NodeInfo.
pub(crate) const CF_NODES: &str = "nodes";
/// be u64 seq -> GcEntry.
pub(crate) const CF_GC: &str = "gc";
/// Block index: block id (16 bytes) -> BlockOwner.
pub(crate) const CF_BLOCKS: &str = "blocks";
/// Repair queue: block id (16 bytes) -> empty; the blocks recorded with a
/// missing (`None`) shard.
pub(crate) const CF_REPAIR: &str = "repair";
/// Notification topics, by name.
pub(crate) const CF_TOPICS: &str = "topics";
/// Events awaiting delivery, by sequence number.
pub(crate) const CF_OUTBOX: &str = "outbox";
/// Remote replication endpoints, by name.
pub(crate) const CF_REMOTES: &str = "remotes";
/// State-machine bookkeeping: last applied, membership, next GC seq, snapshot.
pub(crate) const CF_SM: &str = "sm";

/// The column families holding application state: what a snapshot carries.
pub(crate) const DATA_CFS: [&str; 12] = [
    CF_BUCKETS, CF_OBJECTS, CF_UPLOADS, CF_PARTS, CF_KEYS, CF_NODES, CF_GC, CF_BLOCKS, CF_REPAIR,
    CF_TOPICS, CF_OUTBOX, CF_REMOTES,
];

const ALL_CFS: [&str; 15] = [
    CF_LOGS, CF_RAFT, CF_BUCKETS, CF_OBJECTS, CF_UPLOADS, CF_PARTS, CF_KEYS, CF_NODES, CF_GC,
    CF_BLOCKS, CF_REPAIR, CF_TOPICS, CF_OUTBOX, CF_REMOTES, CF_SM,
];

/// Opens (creating if needed) the database at `path` with every column
/// family, and builds the block index if the database predates it.
///
/// Column families are flushed together (atomic flush): the state machine
/// is written without the WAL (see [`unlogged`]), so what survives a crash
/// is the state of the last flush, and that must be one state of every
/// column family at once, `last_applied` with the data it describes.
pub(crate) fn open(path: &Path) -> Result<Arc<DB>> {
    let mut opts = Options::default();
    opts.create_if_missing(true);
    opts.create_missing_column_families(true);
    opts.set_atomic_flush(true);
    let cfs = ALL_CFS
        .iter()
        .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
    let db = DB::open_cf_descriptors(&opts, path, cfs)?;
    super::index::ensure_built(&db)?;
    Ok(Arc::new(db))
}

/// The handle of column family `name`.
pub(crate) fn cf<'a>(db: &'a DB, name: &str) -> Result<&'a ColumnFamily> {
    db.cf_handle(name)
        .ok_or_else(|| Error::Corrupt(format!("missing column family {name}")))
}

/// An iterator over the keys of `cf` that start with `prefix`: RocksDB
/// stops at the end of the prefix instead of stepping on over whatever
/// follows it, such as the tombstones of a neighbouring bucket's deleted
/// keys (many thousands after a bulk delete) when a scan looks for the key
/// after its last one.
pub(crate) fn prefix_iterator<'a>(
    db: &'a DB,
    cf_name: &str,
    prefix: &[u8],
) -> Result<rocksdb::DBRawIteratorWithThreadMode<'a, DB>> {
    let mut opts = rocksdb::ReadOptions::default();
    if let Some(end) = crate::store::keys::prefix_successor(prefix) {
        opts.set_iterate_upper_bound(end);
    }
    Ok(db.raw_iterator_cf_opt(cf(db, cf_name)?, opts))
}

/// Reads and decodes one value.
pub(crate) fn get<T: DeserializeOwned>(db: &DB, cf_name: &str, key: &[u8]) -> Result<Option<T>> {
    match db.get_pinned_cf(cf(db, cf_name)?, key)? {
        Some(bytes) => Ok(Some(codec::decode(&bytes)?)),
        None => Ok(None),
    }
}

/// Encodes and writes one value, synced to disk.
pub(crate) fn put_synced<T: Serialize>(
    db: &DB,
    cf_name: &str,
    key: &[u8],
    value: &T,
) -> Result<()> {
    let bytes = codec::encode(value)?;
    db.put_cf_opt(cf(db, cf_name)?, key, bytes, &synced())?;
    Ok(())
}

/// Write options whose write is on disk (WAL fsync'd) when it returns.
/// RocksDB groups concurrent synced writes into one fsync.
pub(crate) fn synced() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.set_sync(true);
    w
}

/// Write options for state-machine writes: no WAL. The Raft log they are
/// applied from is the state machine's write-ahead log: after a crash the
/// state is that of the last flush, with its `last_applied`, and Raft
/// re-applies the entries after it. The log is therefore purged only up to
/// a flushed state (see [`flush_all`]), and a snapshot install, which does
/// go through the WAL, starts from one. Each small object goes through the
/// WAL once (in its log entry) instead of twice.
pub(crate) fn unlogged() -> WriteOptions {
    let mut w = WriteOptions::default();
    w.disable_wal(true);
    w
}

/// Flushes every column family, atomically, and waits: from then on the
/// state machine as applied so far survives a crash without the log.
pub(crate) fn flush_all(db: &DB) -> Result<()> {
    let cfs = ALL_CFS
        .iter()
        .map(|name| cf(db, name))
        .collect::<Result<Vec<_>>>()?;
    let mut opts = FlushOptions::default();
    opts.set_wait(true);
    db.flush_cfs_opt(&cfs, &opts)?;
    Ok(())
}

/// A batch deleting every key of the column families `names`: one range
/// deletion each (up to the last key, which is deleted on its own), so its
/// size does not grow with the keyspace.
pub(crate) fn clear_batch(db: &DB, names: &[&str]) -> Result<WriteBatch> {
    let mut batch = WriteBatch::default();
    for name in names {
        let cf = cf(db, name)?;
        let mut it = db.raw_iterator_cf(cf);
        it.seek_to_last();
        if let Some(last) = it.key() {
            batch.delete_range_cf(cf, &[] as &[u8], last);
            batch.delete_cf(cf, last);
        }
        it.status()?;
    }
    Ok(batch)
}
