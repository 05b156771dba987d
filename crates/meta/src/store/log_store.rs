//! The Raft log and hard state (`RaftLogStorage`).

use super::db::{self, CF_LOGS, CF_RAFT};
use super::keys::{decode_u64_key, u64_key};
use super::{blocking, storage_err, Op};
use crate::raft_types::{Entry, LogId, StorageError, TypeConfig, Vote};
use crate::{Error, Result};
use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::OptionalSend;
use rocksdb::{WriteBatch, DB};
use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;
use tessera_types::codec;

const KEY_VOTE: &[u8] = b"vote";
const KEY_COMMITTED: &[u8] = b"committed";
const KEY_LAST_PURGED: &[u8] = b"last_purged";

/// The Raft log in the `logs` column family, hard state in `raft`.
///
/// Appends and vote saves are fsync'd before they are acknowledged.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<DB>,
}

impl LogStore {
    pub(crate) fn new(db: Arc<DB>) -> Self {
        LogStore { db }
    }

    fn read_entries(&self, start: u64, end: Option<u64>) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut it = self.db.raw_iterator_cf(db::cf(&self.db, CF_LOGS)?);
        it.seek(u64_key(start));
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let index =
                decode_u64_key(k).ok_or_else(|| Error::Corrupt(format!("bad log key {k:?}")))?;
            if end.is_some_and(|end| index >= end) {
                break;
            }
            out.push(codec::decode(v)?);
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    fn last_entry_log_id(&self) -> Result<Option<LogId>> {
        let mut it = self.db.raw_iterator_cf(db::cf(&self.db, CF_LOGS)?);
        it.seek_to_last();
        match it.value() {
            Some(v) => {
                let e: Entry = codec::decode(v)?;
                Ok(Some(e.log_id))
            }
            None => {
                it.status()?;
                Ok(None)
            }
        }
    }
}

fn range_to_bounds<RB: RangeBounds<u64>>(range: &RB) -> Option<(u64, Option<u64>)> {
    let start = match range.start_bound() {
        Bound::Included(&s) => s,
        Bound::Excluded(&s) => s.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let end = match range.end_bound() {
        Bound::Included(&e) => e.checked_add(1),
        Bound::Excluded(&e) => Some(e),
        Bound::Unbounded => None,
    };
    Some((start, end))
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        let Some((start, end)) = range_to_bounds(&range) else {
            return Ok(Vec::new());
        };
        self.read_entries(start, end)
            .map_err(|e| storage_err(Op::ReadLogs, e))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let last_purged: Option<LogId> = db::get(&self.db, CF_RAFT, KEY_LAST_PURGED)
            .map_err(|e| storage_err(Op::ReadLogs, e))?;
        let last = self
            .last_entry_log_id()
            .map_err(|e| storage_err(Op::ReadLogs, e))?;
        Ok(LogState {
            last_purged_log_id: last_purged,
            last_log_id: last.or(last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let db = self.db.clone();
        let vote = *vote;
        blocking(Op::WriteVote, move || {
            db::put_synced(&db, CF_RAFT, KEY_VOTE, &vote)
        })
        .await
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        db::get(&self.db, CF_RAFT, KEY_VOTE).map_err(|e| storage_err(Op::ReadVote, e))
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        // Not synced: losing it only means re-learning it from the leader.
        let write = || -> Result<()> {
            let bytes = codec::encode(&committed)?;
            self.db
                .put_cf(db::cf(&self.db, CF_RAFT)?, KEY_COMMITTED, bytes)?;
            Ok(())
        };
        write().map_err(|e| storage_err(Op::WriteLogs, e))
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let c: Option<Option<LogId>> =
            db::get(&self.db, CF_RAFT, KEY_COMMITTED).map_err(|e| storage_err(Op::ReadLogs, e))?;
        Ok(c.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let db = self.db.clone();
        let res = blocking(Op::WriteLogs, move || {
            let cf = db::cf(&db, CF_LOGS)?;
            let mut batch = WriteBatch::default();
            for e in &entries {
                batch.put_cf(cf, u64_key(e.log_id.index), codec::encode(e)?);
            }
            db.write_opt(batch, &db::synced())?;
            Ok(())
        })
        .await;
        match res {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(e)
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        tracing::debug!(index = log_id.index, "truncating raft log");
        let db = self.db.clone();
        blocking(Op::WriteLogs, move || {
            let cf = db::cf(&db, CF_LOGS)?;
            let mut batch = WriteBatch::default();
            batch.delete_range_cf(cf, u64_key(log_id.index), u64_key(u64::MAX));
            batch.delete_cf(cf, u64_key(u64::MAX));
            db.write_opt(batch, &db::synced())?;
            Ok(())
        })
        .await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        tracing::debug!(index = log_id.index, "purging raft log");
        let db = self.db.clone();
        blocking(Op::WriteLogs, move || {
            // The state machine is written without the WAL: the entries it
            // was applied from may go only once it is on disk.
            db::flush_all(&db)?;
            let mut batch = WriteBatch::default();
            batch.put_cf(
                db::cf(&db, CF_RAFT)?,
                KEY_LAST_PURGED,
                codec::encode(&Some(log_id))?,
            );
            let end = log_id.index.saturating_add(1);
            batch.delete_range_cf(db::cf(&db, CF_LOGS)?, u64_key(0), u64_key(end));
            db.write_opt(batch, &db::synced())?;
            Ok(())
        })
        .await
    }
}
