//! Snapshots of the state machine: every data keyspace, read at one RocksDB
//! snapshot and streamed into a file of the snapshot directory (the format
//! is in [`super::snapshot_format`]). The `sm` keyspace names the current
//! one. Neither building nor installing holds the state in memory.

use super::db::{self, CF_BLOCKS, CF_SM, DATA_CFS};
use super::index::{self, INDEX_VERSION, KEY_BLOCK_INDEX};
use super::snapshot_format::{Record, SnapshotReader, SnapshotWriter};
use super::state_machine::{KEY_LAST_APPLIED, KEY_MEMBERSHIP, KEY_NEXT_GC_SEQ, KEY_SNAPSHOT};
use crate::raft_types::{LogId, SnapshotMeta, StoredMembership};
use crate::{Error, Result};
use rocksdb::{WriteBatch, DB};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tessera_types::codec;

/// Set while a received snapshot is being installed: the install is redone
/// from its file if the node stops before it completes.
pub(crate) const KEY_INSTALLING: &[u8] = b"snapshot_installing";
const EXTENSION: &str = "tsnap";
const TMP_SUFFIX: &str = ".tmp";
/// Entries written per batch while installing.
const INSTALL_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// The current snapshot (or the one being installed): its metadata and its
/// file in the snapshot directory.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct StoredSnapshot {
    pub meta: SnapshotMeta,
    pub file: String,
}

/// The snapshot directory of one state machine. Builds and installs are
/// serialised, so that the current snapshot only ever moves forward.
#[derive(Clone)]
pub(crate) struct Snapshots {
    db: Arc<DB>,
    dir: PathBuf,
    lock: Arc<Mutex<()>>,
    /// Held while entries are applied, and while a build takes its view of
    /// the state (so that it never sees a batch entry half applied).
    applying: Arc<Mutex<()>>,
}

/// Makes the names of received files unique within the process.
static RECEIVE_COUNTER: AtomicU64 = AtomicU64::new(0);

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

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// The file name of snapshot `id` (ids are built from numbers and dashes).
fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("snap-{safe}.{EXTENSION}")
}

impl Snapshots {
    /// Opens the snapshot directory `dir` of `db`: finishes an install
    /// that a stop interrupted, removes files no snapshot needs, and turns
    /// a snapshot of an earlier release (kept inside the database) into a
    /// file.
    pub fn open(db: Arc<DB>, dir: PathBuf) -> Result<Snapshots> {
        fs::create_dir_all(&dir)?;
        let s = Snapshots {
            db,
            dir,
            lock: Arc::new(Mutex::new(())),
            applying: Arc::new(Mutex::new(())),
        };
        if let Some(pending) = db::get::<StoredSnapshot>(&s.db, CF_SM, KEY_INSTALLING)? {
            tracing::warn!(snapshot_id = %pending.meta.snapshot_id, "finishing an interrupted snapshot install");
            s.apply(&pending)?;
        }
        let current = match db::get::<StoredSnapshot>(&s.db, CF_SM, KEY_SNAPSHOT) {
            Ok(current) => current,
            Err(Error::Codec(_)) => {
                tracing::info!("rebuilding the snapshot of an earlier release as a file");
                Some(s.build()?)
            }
            Err(e) => return Err(e),
        };
        s.remove_stale(current.as_ref().map(|c| c.file.as_str()), true)?;
        Ok(s)
    }

    /// The snapshot directory.
    #[cfg(test)]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of a snapshot file.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// A fresh path to receive a snapshot from the leader into.
    pub fn receive_path(&self) -> PathBuf {
        let n = RECEIVE_COUNTER.fetch_add(1, Ordering::Relaxed);
        self.dir.join(format!(".receive-{n}{TMP_SUFFIX}"))
    }

    /// The current snapshot, if one was built or installed and its file is
    /// there.
    pub fn current(&self) -> Result<Option<StoredSnapshot>> {
        let Some(current) = db::get::<StoredSnapshot>(&self.db, CF_SM, KEY_SNAPSHOT)? else {
            return Ok(None);
        };
        if self.path(&current.file).exists() {
            Ok(Some(current))
        } else {
            tracing::warn!(file = %current.file, "the current snapshot's file is missing");
            Ok(None)
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Held by the state machine while it applies entries.
    pub fn applying(&self) -> std::sync::MutexGuard<'_, ()> {
        self.applying.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Builds a snapshot of the current state and makes it the current one
    /// (unless an install meanwhile made a newer one current, which is then
    /// returned instead).
    pub fn build(&self) -> Result<StoredSnapshot> {
        let _guard = self.lock();
        self.build_without(&[])
    }

    /// [`Snapshots::build`] leaving out the keyspaces `skip` (as a release
    /// without them wrote its snapshots); the caller holds the lock.
    fn build_without(&self, skip: &[&str]) -> Result<StoredSnapshot> {
        let db = &self.db;
        let snap = {
            let _applying = self.applying();
            db.snapshot()
        };
        let last_applied: Option<LogId> =
            snap_get::<Option<LogId>>(&snap, db, KEY_LAST_APPLIED)?.flatten();
        let last_membership: StoredMembership =
            snap_get(&snap, db, KEY_MEMBERSHIP)?.unwrap_or_default();
        let next_gc_seq: u64 = snap_get(&snap, db, KEY_NEXT_GC_SEQ)?.unwrap_or_default();
        let snapshot_id = match &last_applied {
            Some(id) => format!(
                "{}-{}-{}",
                id.leader_id.term,
                id.index,
                snap.sequence_number()
            ),
            None => format!("empty-{}", snap.sequence_number()),
        };
        let file = file_name(&snapshot_id);
        let tmp = self.dir.join(format!(".{file}{TMP_SUFFIX}"));
        let written = (|| -> Result<u64> {
            let out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
            let mut w = SnapshotWriter::new(out, next_gc_seq)?;
            let mut entries = 0u64;
            for name in DATA_CFS.iter().filter(|n| !skip.contains(n)) {
                w.keyspace(name)?;
                let mut it = snap.raw_iterator_cf(db::cf(db, name)?);
                it.seek_to_first();
                while let (Some(k), Some(v)) = (it.key(), it.value()) {
                    w.entry(k, v)?;
                    entries += 1;
                    it.next();
                }
                it.status()?;
            }
            let mut out = w.finish()?;
            out.flush()?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            Ok(entries)
        })();
        drop(snap);
        let entries = match written {
            Ok(n) => n,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        fs::rename(&tmp, self.path(&file))?;
        sync_dir(&self.dir)?;
        let built = StoredSnapshot {
            meta: SnapshotMeta {
                last_log_id: last_applied,
                last_membership,
                snapshot_id,
            },
            file,
        };
        if let Some(existing) = self.current()? {
            if existing.meta.last_log_id >= built.meta.last_log_id {
                let _ = fs::remove_file(self.path(&built.file));
                return Ok(existing);
            }
        }
        db::put_synced(db, CF_SM, KEY_SNAPSHOT, &built)?;
        self.remove_stale(Some(&built.file), false)?;
        tracing::debug!(snapshot_id = %built.meta.snapshot_id, entries, "snapshot written");
        Ok(built)
    }

    /// Replaces the whole state machine with the snapshot received into
    /// `received` and described by `meta`, and makes it the current one.
    /// The file is checked completely before the state is touched.
    pub fn install(&self, meta: &SnapshotMeta, received: &Path) -> Result<()> {
        let _guard = self.lock();
        let file = File::open(received)?;
        file.sync_all()?;
        SnapshotReader::new(BufReader::with_capacity(1 << 20, file))?.verify()?;
        let pending = StoredSnapshot {
            meta: meta.clone(),
            file: file_name(&meta.snapshot_id),
        };
        fs::rename(received, self.path(&pending.file))?;
        sync_dir(&self.dir)?;
        db::put_synced(&self.db, CF_SM, KEY_INSTALLING, &pending)?;
        self.apply(&pending)
    }

    /// Installs the checked snapshot `pending`: clears the data keyspaces,
    /// writes the file's entries in batches, then, in one synced batch, the
    /// bookkeeping that makes it current. Redone from the start after a
    /// stop (see [`Snapshots::open`]).
    fn apply(&self, pending: &StoredSnapshot) -> Result<()> {
        let db = &self.db;
        // The install goes through the WAL, the state machine's writes
        // before it did not: flushed first, a crash's recovery replays the
        // install onto exactly the state it cleared.
        db::flush_all(db)?;
        db.write(db::clear_batch(db, &DATA_CFS)?)?;
        let file = File::open(self.path(&pending.file))?;
        let mut reader = SnapshotReader::new(BufReader::with_capacity(1 << 20, file))?;
        let mut batch = WriteBatch::default();
        let mut cf = None;
        let mut has_index = false;
        while let Some(record) = reader.next_record()? {
            match record {
                Record::Keyspace(name) => {
                    if !DATA_CFS.contains(&name) {
                        return Err(Error::Corrupt(format!(
                            "snapshot has unknown keyspace {name}"
                        )));
                    }
                    has_index |= name == CF_BLOCKS;
                    cf = Some(db::cf(db, name)?);
                }
                Record::Entry(k, v) => {
                    let cf = cf.ok_or_else(|| {
                        Error::Corrupt("snapshot entry outside a keyspace".into())
                    })?;
                    batch.put_cf(cf, k, v);
                    if batch.size_in_bytes() >= INSTALL_BATCH_BYTES {
                        db.write(std::mem::take(&mut batch))?;
                    }
                }
            }
        }
        let sm = db::cf(db, CF_SM)?;
        // A snapshot of a release without the block index carries none: it
        // is built from the installed records below.
        if has_index {
            batch.put_cf(sm, KEY_BLOCK_INDEX, codec::encode(&INDEX_VERSION)?);
        } else {
            batch.delete_cf(sm, KEY_BLOCK_INDEX);
        }
        let meta = &pending.meta;
        batch.put_cf(sm, KEY_LAST_APPLIED, codec::encode(&meta.last_log_id)?);
        batch.put_cf(sm, KEY_MEMBERSHIP, codec::encode(&meta.last_membership)?);
        batch.put_cf(sm, KEY_NEXT_GC_SEQ, codec::encode(&reader.next_gc_seq())?);
        batch.put_cf(sm, KEY_SNAPSHOT, codec::encode(pending)?);
        batch.delete_cf(sm, KEY_INSTALLING);
        db.write_opt(batch, &db::synced())?;
        index::ensure_built(db)?;
        self.remove_stale(Some(&pending.file), false)?;
        tracing::info!(snapshot_id = %meta.snapshot_id, "installed snapshot");
        Ok(())
    }

    /// Removes the snapshot files other than `keep`, and with `all_tmp`
    /// also unfinished ones (only safe before any transfer starts). A file
    /// still being sent to a follower stays readable until it is closed.
    fn remove_stale(&self, keep: Option<&str>, all_tmp: bool) -> Result<()> {
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let stale = if name.ends_with(TMP_SUFFIX) {
                all_tmp
            } else {
                name.ends_with(EXTENSION) && Some(name) != keep
            };
            if stale {
                if let Err(e) = fs::remove_file(entry.path()) {
                    tracing::warn!(file = name, error = %e, "could not remove an old snapshot file");
                }
            }
        }
        Ok(())
    }
}

/// Snapshots as a release without the keyspaces `skip` built them (tests
/// only).
#[cfg(test)]
pub(crate) fn build_without(s: &Snapshots, skip: &[&str]) -> Result<StoredSnapshot> {
    let _guard = s.lock();
    s.build_without(skip)
}
