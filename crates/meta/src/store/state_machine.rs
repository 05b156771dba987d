//! The replicated state machine (`RaftStateMachine`).

use super::apply::{self, Tx};
use super::db::{self, CF_SM};
use super::snapshot::{Snapshots, StoredSnapshot};
use super::snapshot_file::SnapshotFile;
use super::{blocking, storage_err, Op};
use crate::raft_types::{
    Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig,
};
use crate::Result;
use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend};
use rocksdb::{WriteBatch, DB};
use std::path::PathBuf;
use std::sync::Arc;
use tessera_types::codec;
use tessera_types::meta::{Command, CommandReply, CommandResult};

pub(crate) const KEY_LAST_APPLIED: &[u8] = b"last_applied";
pub(crate) const KEY_MEMBERSHIP: &[u8] = b"last_membership";
pub(crate) const KEY_NEXT_GC_SEQ: &[u8] = b"next_gc_seq";
pub(crate) const KEY_SNAPSHOT: &[u8] = b"snapshot";
/// How far a batch entry is applied: (log index, commands done).
pub(crate) const KEY_APPLIED_PART: &[u8] = b"applied_part";

/// The metadata state machine, kept in the data column families, and its
/// snapshots.
pub struct StateMachine {
    db: Arc<DB>,
    snapshots: Snapshots,
}

impl StateMachine {
    /// The state machine of `db`, with its snapshots in `snapshot_dir`
    /// (blocking: it may finish an interrupted snapshot install).
    pub(crate) fn open(db: Arc<DB>, snapshot_dir: PathBuf) -> Result<Self> {
        let snapshots = Snapshots::open(db.clone(), snapshot_dir)?;
        Ok(StateMachine { db, snapshots })
    }
}

/// The openraft snapshot of a stored one, its file opened for reading.
async fn open_snapshot(
    snapshots: &Snapshots,
    stored: StoredSnapshot,
) -> Result<Snapshot, StorageError> {
    let path = snapshots.path(&stored.file);
    let file = SnapshotFile::open(path)
        .await
        .map_err(|e| storage_err(Op::ReadSnapshot, e.into()))?;
    Ok(Snapshot {
        meta: stored.meta,
        snapshot: Box::new(file),
    })
}

/// The last applied log id and membership.
pub(crate) fn applied_state(db: &DB) -> Result<(Option<LogId>, StoredMembership)> {
    let last: Option<Option<LogId>> = db::get(db, CF_SM, KEY_LAST_APPLIED)?;
    let membership: Option<StoredMembership> = db::get(db, CF_SM, KEY_MEMBERSHIP)?;
    Ok((last.flatten(), membership.unwrap_or_default()))
}

/// Applies `entries` in order, each in one atomic write with `last_applied`
/// (a batch: each of its commands in one atomic write, see [`apply_batch`]).
///
/// Written without the WAL ([`db::unlogged`]): the log is synced, and an
/// entry whose effect a crash loses is re-applied from it (its
/// `last_applied` is lost with it, atomically).
pub(crate) fn apply_entries(db: &DB, entries: Vec<Entry>) -> Result<Vec<CommandResult>> {
    let sm = db::cf(db, CF_SM)?;
    let mut next_gc_seq: u64 = db::get(db, CF_SM, KEY_NEXT_GC_SEQ)?.unwrap_or_default();
    let mut results = Vec::with_capacity(entries.len());
    for entry in entries {
        let (mut batch, result) = match &entry.payload {
            EntryPayload::Blank => (WriteBatch::default(), Ok(CommandReply::Done)),
            EntryPayload::Normal(Command::Batch { commands }) => {
                let (batch, results) = apply_batch(db, &entry.log_id, commands, &mut next_gc_seq)?;
                (batch, Ok(CommandReply::Batch(results)))
            }
            EntryPayload::Normal(cmd) => execute(db, cmd, &mut next_gc_seq)?,
            EntryPayload::Membership(m) => {
                let mut batch = WriteBatch::default();
                let stored = StoredMembership::new(Some(entry.log_id), m.clone());
                batch.put_cf(sm, KEY_MEMBERSHIP, codec::encode(&stored)?);
                (batch, Ok(CommandReply::Done))
            }
        };
        batch.put_cf(sm, KEY_LAST_APPLIED, codec::encode(&Some(entry.log_id))?);
        db.write_opt(batch, &db::unlogged())?;
        results.push(result);
    }
    Ok(results)
}

/// Runs one command: its writes (with the next GC sequence number, if it
/// moved) and its result.
fn execute(db: &DB, cmd: &Command, next_gc_seq: &mut u64) -> Result<(WriteBatch, CommandResult)> {
    let mut tx = Tx::new(db, *next_gc_seq);
    let result = apply::execute(&mut tx, cmd)?;
    let (mut batch, next) = tx.into_parts();
    if next != *next_gc_seq {
        *next_gc_seq = next;
        batch.put_cf(db::cf(db, CF_SM)?, KEY_NEXT_GC_SEQ, codec::encode(&next)?);
    }
    Ok((batch, result))
}

/// Applies the commands of a batch entry in order, each in its own atomic
/// write, so that each sees the ones before it, as separate entries would.
/// Each write but the last records how many commands are done
/// (`applied_part`); a batch that a stop interrupted resumes after them
/// when the entry is applied again. Returns the last command's writes (the
/// caller adds `last_applied`), which also drop the progress record.
fn apply_batch(
    db: &DB,
    log_id: &LogId,
    commands: &[Command],
    next_gc_seq: &mut u64,
) -> Result<(WriteBatch, Vec<CommandResult>)> {
    let sm = db::cf(db, CF_SM)?;
    let done = match db::get::<(u64, u32)>(db, CF_SM, KEY_APPLIED_PART)? {
        Some((index, n)) if index == log_id.index => n as usize,
        _ => 0,
    };
    let mut results = Vec::with_capacity(commands.len());
    let mut last = WriteBatch::default();
    for (i, cmd) in commands.iter().enumerate() {
        if i < done {
            // Applied before the stop; nobody waits for its result now.
            results.push(Ok(CommandReply::Done));
            continue;
        }
        let (mut batch, result) = execute(db, cmd, next_gc_seq)?;
        results.push(result);
        if i + 1 == commands.len() {
            batch.delete_cf(sm, KEY_APPLIED_PART);
            last = batch;
        } else {
            let progress = (log_id.index, (i + 1) as u32);
            batch.put_cf(sm, KEY_APPLIED_PART, codec::encode(&progress)?);
            db.write_opt(batch, &db::unlogged())?;
        }
    }
    Ok((last, results))
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
        let snapshots = self.snapshots.clone();
        blocking(Op::WriteSm, move || {
            // A snapshot never sees a batch entry half applied.
            let _applying = snapshots.applying();
            apply_entries(&db, entries)
        })
        .await
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        SnapshotBuilder {
            snapshots: self.snapshots.clone(),
        }
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<SnapshotFile>, StorageError> {
        let file = SnapshotFile::create(self.snapshots.receive_path())
            .await
            .map_err(|e| storage_err(Op::WriteSnapshot, e.into()))?;
        Ok(Box::new(file))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<SnapshotFile>,
    ) -> Result<(), StorageError> {
        tracing::info!(snapshot_id = %meta.snapshot_id, last = ?meta.last_log_id, "installing snapshot");
        let path = snapshot
            .close()
            .await
            .map_err(|e| storage_err(Op::WriteSnapshot, e.into()))?;
        let snapshots = self.snapshots.clone();
        let meta = meta.clone();
        blocking(Op::WriteSnapshot, move || snapshots.install(&meta, &path)).await
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let snapshots = self.snapshots.clone();
        let stored = blocking(Op::ReadSnapshot, move || snapshots.current()).await?;
        match stored {
            Some(s) => Ok(Some(open_snapshot(&self.snapshots, s).await?)),
            None => Ok(None),
        }
    }
}

/// Builds snapshots from a consistent RocksDB snapshot of the state machine.
pub struct SnapshotBuilder {
    snapshots: Snapshots,
}

impl RaftSnapshotBuilder<TypeConfig> for SnapshotBuilder {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let snapshots = self.snapshots.clone();
        let started = std::time::Instant::now();
        let stored = blocking(Op::WriteSnapshot, move || snapshots.build()).await?;
        let snapshot = open_snapshot(&self.snapshots, stored).await?;
        tracing::info!(
            snapshot_id = %snapshot.meta.snapshot_id,
            ms = started.elapsed().as_millis() as u64,
            "built snapshot"
        );
        Ok(snapshot)
    }
}
