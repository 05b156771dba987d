//! The replicated state machine (`RaftStateMachine`).

use super::apply::{self, Tx};
use super::db::{self, CF_SM};
use super::{blocking, snapshot, Op};
use crate::raft_types::{
    Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};
use crate::Result;
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend};
use rocksdb::{WriteBatch, DB};
use std::io::Cursor;
use std::sync::Arc;
use tessera_types::codec;
use tessera_types::meta::{CommandReply, CommandResult};

pub(crate) const KEY_LAST_APPLIED: &[u8] = b"last_applied";
pub(crate) const KEY_MEMBERSHIP: &[u8] = b"last_membership";
pub(crate) const KEY_NEXT_GC_SEQ: &[u8] = b"next_gc_seq";
pub(crate) const KEY_SNAPSHOT: &[u8] = b"snapshot";

/// The metadata state machine, kept in the data column families.
pub struct StateMachine {
    db: Arc<DB>,
}

impl StateMachine {
    pub(crate) fn new(db: Arc<DB>) -> Self {
        StateMachine { db }
    }
}

/// The last applied log id and membership.
pub(crate) fn applied_state(db: &DB) -> Result<(Option<LogId>, StoredMembership)> {
    let last: Option<Option<LogId>> = db::get(db, CF_SM, KEY_LAST_APPLIED)?;
    let membership: Option<StoredMembership> = db::get(db, CF_SM, KEY_MEMBERSHIP)?;
    Ok((last.flatten(), membership.unwrap_or_default()))
}

/// Applies `entries` in order, each in one atomic write with `last_applied`.
///
/// Not synced: the log is, and an entry whose effect is lost in a crash is
/// re-applied from it (its `last_applied` is lost with it, atomically).
pub(crate) fn apply_entries(db: &DB, entries: Vec<Entry>) -> Result<Vec<CommandResult>> {
    let sm = db::cf(db, CF_SM)?;
    let mut next_gc_seq: u64 = db::get(db, CF_SM, KEY_NEXT_GC_SEQ)?.unwrap_or_default();
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let (mut batch, result) = match &entry.payload {
            EntryPayload::Blank => (WriteBatch::default(), Ok(CommandReply::Done)),
            EntryPayload::Normal(cmd) => {
                let mut tx = Tx::new(db, next_gc_seq);
                let result = apply::execute(&mut tx, cmd)?;
                let (mut batch, next) = tx.into_parts();
                if next != next_gc_seq {
                    next_gc_seq = next;
                    batch.put_cf(sm, KEY_NEXT_GC_SEQ, codec::encode(&next_gc_seq)?);
                }
                (batch, result)
            }
            EntryPayload::Membership(m) => {
                let mut batch = WriteBatch::default();
                let stored = StoredMembership::new(Some(entry.log_id), m.clone());
                batch.put_cf(sm, KEY_MEMBERSHIP, codec::encode(&stored)?);
                (batch, Ok(CommandReply::Done))
            }
        };
        batch.put_cf(sm, KEY_LAST_APPLIED, codec::encode(&Some(entry.log_id))?);
        db.write(batch)?;
        results.push(result);
    }
    Ok(results)
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = SnapshotBuilder;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let db = self.db.clone();
        blocking(Op::ReadSm, move || applied_state(&db)).await
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<CommandResult>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let db = self.db.clone();
        blocking(Op::WriteSm, move || apply_entries(&db, entries)).await
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder {
            db: self.db.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        tracing::info!(snapshot_id = %meta.snapshot_id, last = ?meta.last_log_id, "installing snapshot");
        let db = self.db.clone();
        let meta = meta.clone();
        let data = snapshot.into_inner();
        blocking(Op::WriteSnapshot, move || {
            snapshot::install(&db, &meta, data)
        })
        .await
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let db = self.db.clone();
        let stored = blocking(Op::ReadSnapshot, move || snapshot::current(&db)).await?;
        Ok(stored.map(|s| Snapshot {
            meta: s.meta,
            snapshot: Box::new(Cursor::new(s.data.into_vec())),
        }))
    }
}

/// Builds snapshots from a consistent RocksDB snapshot of the state machine.
pub struct SnapshotBuilder {
    db: Arc<DB>,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let db = self.db.clone();
        let stored = blocking(Op::WriteSnapshot, move || snapshot::build(&db)).await?;
        tracing::info!(snapshot_id = %stored.meta.snapshot_id, bytes = stored.data.len(), "built snapshot");
        Ok(Snapshot {
            meta: stored.meta,
            snapshot: Box::new(Cursor::new(stored.data.into_vec())),
        })
    }
}
