//! A command's pending writes: reads see the state before the command,
//! writes collect in one `WriteBatch` applied atomically with it.

use super::db::{self, CF_GC};
use super::keys::u64_key;
use crate::{Error, Result};
use rocksdb::{WriteBatch, DB};
use serde::{de::DeserializeOwned, Serialize};
use tessera_types::codec;
use tessera_types::meta::{GcEntry, MetaError};
use tessera_types::BlockRef;

/// Why a command stopped: an application outcome, or a storage failure.
pub(crate) enum Abort {
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

pub(crate) type Step<T> = std::result::Result<T, Abort>;

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

    /// Drops every write collected so far (an application error).
    pub(crate) fn rollback(&mut self) {
        self.batch.clear();
        self.next_gc_seq = self.start_gc_seq;
    }

    /// The collected writes and the GC sequence number to persist with them.
    pub(crate) fn into_parts(self) -> (WriteBatch, u64) {
        (self.batch, self.next_gc_seq)
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, cf: &str, key: &[u8]) -> Result<Option<T>> {
        db::get(self.db, cf, key)
    }

    /// Whether `key` is present in `cf` (as it was before this command).
    pub(crate) fn exists(&self, cf: &str, key: &[u8]) -> Result<bool> {
        Ok(self.db.get_pinned_cf(db::cf(self.db, cf)?, key)?.is_some())
    }

    pub(crate) fn put<T: Serialize>(&mut self, cf: &str, key: &[u8], value: &T) -> Result<()> {
        let bytes = codec::encode(value)?;
        self.batch.put_cf(db::cf(self.db, cf)?, key, bytes);
        Ok(())
    }

    /// Writes `value` as is (not codec-encoded).
    pub(crate) fn put_raw(&mut self, cf: &str, key: &[u8], value: &[u8]) -> Result<()> {
        self.batch.put_cf(db::cf(self.db, cf)?, key, value);
        Ok(())
    }

    pub(crate) fn delete(&mut self, cf: &str, key: &[u8]) -> Result<()> {
        self.batch.delete_cf(db::cf(self.db, cf)?, key);
        Ok(())
    }

    /// Whether any key in `cf` starts with `prefix`.
    pub(crate) fn any_with_prefix(&self, cf: &str, prefix: &[u8]) -> Result<bool> {
        let mut it = self.db.raw_iterator_cf(db::cf(self.db, cf)?);
        it.seek(prefix);
        let found = it.key().is_some_and(|k| k.starts_with(prefix));
        it.status()?;
        Ok(found)
    }

    /// Every entry of `cf` whose key starts with `prefix`, decoded.
    pub(crate) fn scan_prefix<T: DeserializeOwned>(
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

    /// Up to `max` entries of `cf` whose key starts with `prefix`, from
    /// `start` (inclusive) on, decoded.
    pub(crate) fn scan_from<T: DeserializeOwned>(
        &self,
        cf: &str,
        prefix: &[u8],
        start: &[u8],
        max: usize,
    ) -> Result<Vec<(Vec<u8>, T)>> {
        let mut out = Vec::new();
        let mut it = self.db.raw_iterator_cf(db::cf(self.db, cf)?);
        it.seek(start.max(prefix));
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            if !k.starts_with(prefix) || out.len() >= max {
                break;
            }
            out.push((k.to_vec(), codec::decode(v)?));
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    /// The next number of the sequence shared by the GC queue and the
    /// event outbox (both in commit order).
    pub(crate) fn next_seq(&mut self) -> u64 {
        let seq = self.next_gc_seq;
        self.next_gc_seq += 1;
        seq
    }

    /// Queues `blocks` for GC as one entry (nothing when empty), and drops
    /// them from the block index and the repair queue.
    pub(crate) fn queue_gc(&mut self, blocks: Vec<BlockRef>) -> Result<()> {
        if blocks.is_empty() {
            return Ok(());
        }
        for b in &blocks {
            self.unindex_block(b)?;
        }
        let seq = self.next_gc_seq;
        self.next_gc_seq += 1;
        self.put(CF_GC, &u64_key(seq), &GcEntry { seq, blocks })
    }
}
