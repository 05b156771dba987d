//! Snapshots of the state machine: every data column family, read at one
//! RocksDB snapshot, in one codec-encoded blob.

use super::db::{self, CF_BLOCKS, CF_SM, DATA_CFS};
use super::index::{self, INDEX_VERSION, KEY_BLOCK_INDEX};
use super::state_machine::{KEY_LAST_APPLIED, KEY_MEMBERSHIP, KEY_NEXT_GC_SEQ, KEY_SNAPSHOT};
use crate::raft_types::{LogId, SnapshotMeta, StoredMembership};
use crate::{Error, Result};
use rocksdb::DB;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_bytes::ByteBuf;
use tessera_types::codec;

/// The most recent snapshot, persisted in the `sm` column family so that it
/// can be sent to a follower after a restart.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredSnapshot {
    pub meta: SnapshotMeta,
    pub data: ByteBuf,
}

/// The snapshot payload.
#[derive(Serialize, Deserialize)]
struct SnapshotBlob {
    next_gc_seq: u64,
    column_families: Vec<CfDump>,
}

#[derive(Serialize, Deserialize)]
struct CfDump {
    name: String,
    entries: Vec<(ByteBuf, ByteBuf)>,
}

fn snap_get<T: DeserializeOwned>(
    snap: &rocksdb::SnapshotWithThreadMode<'_, DB>,
    db: &DB,
    key: &[u8],
) -> Result<Option<T>> {
    match snap.get_cf(db::cf(db, CF_SM)?, key)? {
        Some(bytes) => Ok(Some(codec::decode(&bytes)?)),
        None => Ok(None),
    }
}

/// Builds a snapshot of the current state and persists it as the current one.
pub(crate) fn build(db: &DB) -> Result<StoredSnapshot> {
    let snap = db.snapshot();
    let last_applied: Option<LogId> =
        snap_get::<Option<LogId>>(&snap, db, KEY_LAST_APPLIED)?.flatten();
    let last_membership: StoredMembership =
        snap_get(&snap, db, KEY_MEMBERSHIP)?.unwrap_or_default();
    let next_gc_seq: u64 = snap_get(&snap, db, KEY_NEXT_GC_SEQ)?.unwrap_or_default();
    let mut column_families = Vec::with_capacity(DATA_CFS.len());
    for name in DATA_CFS {
        let mut entries = Vec::new();
        let mut it = snap.raw_iterator_cf(db::cf(db, name)?);
        it.seek_to_first();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            entries.push((ByteBuf::from(k.to_vec()), ByteBuf::from(v.to_vec())));
            it.next();
        }
        it.status()?;
        column_families.push(CfDump {
            name: name.to_string(),
            entries,
        });
    }
    let snapshot_id = match &last_applied {
        Some(id) => format!(
            "{}-{}-{}",
            id.leader_id.term,
            id.index,
            snap.sequence_number()
        ),
        None => format!("empty-{}", snap.sequence_number()),
    };
    drop(snap);
    let data = codec::encode(&SnapshotBlob {
        next_gc_seq,
        column_families,
    })?;
    let stored = StoredSnapshot {
        meta: SnapshotMeta {
            last_log_id: last_applied,
            last_membership,
            snapshot_id,
        },
        data: ByteBuf::from(data),
    };
    db::put_synced(db, CF_SM, KEY_SNAPSHOT, &stored)?;
    Ok(stored)
}

/// Replaces the whole state machine with the snapshot `data` described by
/// `meta`, and makes it the current snapshot. One synced, atomic write.
pub(crate) fn install(db: &DB, meta: &SnapshotMeta, data: Vec<u8>) -> Result<()> {
    let blob: SnapshotBlob = codec::decode(&data)?;
    let mut batch = db::clear_batch(db, &DATA_CFS)?;
    for dump in &blob.column_families {
        if !DATA_CFS.contains(&dump.name.as_str()) {
            return Err(Error::Corrupt(format!(
                "snapshot has unknown keyspace {}",
                dump.name
            )));
        }
        let cf = db::cf(db, &dump.name)?;
        for (k, v) in &dump.entries {
            batch.put_cf(cf, k, v);
        }
    }
    let sm = db::cf(db, CF_SM)?;
    // A snapshot of a release without the block index carries none: it is
    // built from the installed records below.
    let has_index = blob.column_families.iter().any(|d| d.name == CF_BLOCKS);
    if has_index {
        batch.put_cf(sm, KEY_BLOCK_INDEX, codec::encode(&INDEX_VERSION)?);
    } else {
        batch.delete_cf(sm, KEY_BLOCK_INDEX);
    }
    batch.put_cf(sm, KEY_LAST_APPLIED, codec::encode(&meta.last_log_id)?);
    batch.put_cf(sm, KEY_MEMBERSHIP, codec::encode(&meta.last_membership)?);
    batch.put_cf(sm, KEY_NEXT_GC_SEQ, codec::encode(&blob.next_gc_seq)?);
    let stored = StoredSnapshot {
        meta: meta.clone(),
        data: ByteBuf::from(data),
    };
    batch.put_cf(sm, KEY_SNAPSHOT, codec::encode(&stored)?);
    db.write_opt(batch, &db::synced())?;
    index::ensure_built(db)
}

/// The current snapshot, if one was built or installed.
pub(crate) fn current(db: &DB) -> Result<Option<StoredSnapshot>> {
    db::get(db, CF_SM, KEY_SNAPSHOT)
}

/// `data` without the dumps of the keyspaces `names`: a snapshot as a
/// release without them built it (tests only).
#[cfg(test)]
pub(crate) fn without_keyspaces(data: &[u8], names: &[&str]) -> Result<Vec<u8>> {
    let mut blob: SnapshotBlob = codec::decode(data)?;
    blob.column_families
        .retain(|d| !names.contains(&d.name.as_str()));
    Ok(codec::encode(&blob)?)
}
