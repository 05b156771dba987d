//! The storage node: shard files on local data directories.

use crate::disk::{self, Usage};
use crate::error::blocking;
use crate::layout::{self, SHARDS_DIR};
use crate::listing::{self, ShardInfo};
use crate::{identity, Error, Result, StorageConfig};
use bytes::Bytes;
use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tessera_types::{NodeId, ShardId};

/// What a storage node reports about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeStatus {
    pub node_id: NodeId,
    pub zone: String,
    /// Total size of the filesystems holding the data directories (each
    /// filesystem counted once).
    pub capacity_bytes: u64,
    /// Free space on those filesystems available to this process.
    pub available_bytes: u64,
    /// Bytes of shard files (their frames included).
    pub used_bytes: u64,
    pub shard_count: u64,
}

/// Whether a shard being stored is hashed against the hash it came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// It came over a network: hash it.
    Hash,
    /// Its writer in this process hashed these very bytes.
    Trusted,
}

/// Number of locks serialising the replacement and removal of shard files.
const LOCK_STRIPES: usize = 64;

/// State shared with blocking tasks.
struct Shared {
    dirs: Vec<PathBuf>,
    /// Per data directory: whether its filesystem takes `O_DIRECT` writes
    /// (see `disk::write_shard_atomic`); cleared at the first refusal.
    direct: Vec<AtomicBool>,
    /// Striped by shard id: held while a shard file is replaced or removed,
    /// which keeps the usage counters exact under concurrent writers.
    locks: Vec<Mutex<()>>,
    shard_count: AtomicU64,
    used_bytes: AtomicU64,
}

impl Shared {
    /// Where a shard is written: `<dir>/shards/<xx>`, `dir` chosen by
    /// hash, and whether that directory takes direct writes.
    fn write_dir(&self, id: &ShardId) -> (PathBuf, &AtomicBool) {
        let i = layout::dir_index(id, self.dirs.len());
        let path = self.dirs[i].join(SHARDS_DIR).join(layout::fanout_dir(id));
        (path, &self.direct[i])
    }

    /// Every place the shard may be, the directory it is written to first.
    fn candidate_paths(&self, id: &ShardId) -> impl Iterator<Item = PathBuf> + '_ {
        let primary = layout::dir_index(id, self.dirs.len());
        let rel = layout::relative_path(id);
        std::iter::once(primary)
            .chain((0..self.dirs.len()).filter(move |&i| i != primary))
            .map(move |i| self.dirs[i].join(&rel))
    }

    fn lock_for(&self, id: &ShardId) -> &Mutex<()> {
        let stripe = (usize::from(id.block.0[15]) + usize::from(id.index)) % self.locks.len();
        &self.locks[stripe]
    }

    fn add_usage(&self, shards: u64, bytes: u64) {
        self.shard_count.fetch_add(shards, Ordering::Relaxed);
        self.used_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn sub_usage(&self, shards: u64, bytes: u64) {
        let sub = |c: &AtomicU64, n: u64| {
            // Saturating: never wrap, even if a file vanished behind our back.
            let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
        };
        sub(&self.shard_count, shards);
        sub(&self.used_bytes, bytes);
    }
}

/// A storage node: stores, verifies, serves and deletes shards on its data
/// directories. See the crate docs for the on-disk format.
pub struct StorageNode {
    id: NodeId,
    zone: String,
    shared: Arc<Shared>,
    /// Exclusive locks on the data directories, released on drop.
    _locks: Vec<File>,
}

impl std::fmt::Debug for StorageNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorageNode")
            .field("id", &self.id)
            .field("zone", &self.zone)
            .field("dirs", &self.shared.dirs)
            .finish()
    }
}

impl StorageNode {
    /// Opens (creating if needed) the data directories, locks them, loads or
    /// creates the node id, removes interrupted writes and counts the shards.
    pub async fn open(cfg: StorageConfig) -> Result<Arc<StorageNode>> {
        if cfg.data_dirs.is_empty() {
            return Err(Error::Config(
                "at least one data directory is required".into(),
            ));
        }
        let distinct: BTreeSet<&PathBuf> = cfg.data_dirs.iter().collect();
        if distinct.len() != cfg.data_dirs.len() {
            return Err(Error::Config("data directories must be distinct".into()));
        }
        let dirs = cfg.data_dirs.clone();
        let (id, locks, usage) = blocking(move || {
            let locks = dirs
                .iter()
                .map(|d| identity::prepare_dir(d))
                .collect::<Result<Vec<_>>>()?;
            let id = identity::resolve_node_id(&dirs)?;
            let mut usage = Usage::default();
            for dir in &dirs {
                let shards = dir.join(SHARDS_DIR);
                let u = disk::scan(&shards).map_err(|e| Error::io("scanning", &shards, e))?;
                usage.shards += u.shards;
                usage.bytes += u.bytes;
            }
            Ok((id, locks, usage))
        })
        .await?;
        tracing::info!(
            node_id = id,
            zone = %cfg.zone,
            dirs = cfg.data_dirs.len(),
            shards = usage.shards,
            bytes = usage.bytes,
            "storage node opened"
        );
        Ok(Arc::new(StorageNode {
            id,
            zone: cfg.zone,
            shared: Arc::new(Shared {
                direct: cfg
                    .data_dirs
                    .iter()
                    .map(|_| AtomicBool::new(true))
                    .collect(),
                dirs: cfg.data_dirs,
                locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
                shard_count: AtomicU64::new(usage.shards),
                used_bytes: AtomicU64::new(usage.bytes),
            }),
            _locks: locks,
        }))
    }

    /// This node's id, stable across restarts.
    pub fn node_id(&self) -> NodeId {
        self.id
    }

    /// This node's failure domain.
    pub fn zone(&self) -> &str {
        &self.zone
    }

    /// Stores a shard, replacing any previous copy. Checks `data` against
    /// `blake3` first ([`Error::HashMismatch`]); the shard is durable when
    /// this returns.
    pub async fn put_shard(&self, id: ShardId, data: Bytes, blake3: [u8; 32]) -> Result<()> {
        self.store_shard(id, data, blake3, Check::Hash).await
    }

    /// [`StorageNode::put_shard`], hashing `data` only if `check` asks.
    pub(crate) async fn store_shard(
        &self,
        id: ShardId,
        data: Bytes,
        blake3: [u8; 32],
        check: Check,
    ) -> Result<()> {
        let shared = self.shared.clone();
        blocking(move || {
            if check == Check::Hash && blake3::hash(&data).as_bytes() != &blake3 {
                return Err(Error::HashMismatch(id));
            }
            let (dir, direct) = shared.write_dir(&id);
            let name = layout::file_name(&id);
            let trailer = layout::encode_trailer(data.len() as u64, &blake3);
            let lock = Some(shared.lock_for(&id));
            let previous = disk::write_shard_atomic(&dir, &name, &data, &trailer, lock, direct)
                .map_err(|e| Error::io("writing shard", &dir.join(&name), e))?;
            let size = (trailer.len() + data.len()) as u64;
            match previous {
                Some(old) => {
                    shared.sub_usage(0, old);
                    shared.add_usage(0, size);
                }
                None => shared.add_usage(1, size),
            }
            tracing::debug!(shard = %id, len = data.len(), "stored shard");
            Ok(())
        })
        .await
    }

    /// Reads a shard, verified against the hash stored with it:
    /// [`Error::NotFound`] if absent, [`Error::Corrupt`] if damaged.
    pub async fn get_shard(&self, id: ShardId) -> Result<Bytes> {
        Ok(self.read_shard(id).await?.0)
    }

    /// Like [`StorageNode::get_shard`], also returning the shard's blake3 hash.
    pub async fn read_shard(&self, id: ShardId) -> Result<(Bytes, [u8; 32])> {
        self.read_shard_with(id, layout::decode_file).await
    }

    /// The shard and its recorded hash, the header checked but not the
    /// data: for a reader that hashes what it receives anyway (every
    /// storage client does), which saves hashing each byte twice.
    pub async fn read_shard_unhashed(&self, id: ShardId) -> Result<(Bytes, [u8; 32])> {
        self.read_shard_with(id, layout::split_file).await
    }

    async fn read_shard_with(
        &self,
        id: ShardId,
        decode: layout::Decode,
    ) -> Result<(Bytes, [u8; 32])> {
        let shared = self.shared.clone();
        blocking(move || {
            for path in shared.candidate_paths(&id) {
                let Some(file) = disk::read_shard_file(&path)
                    .map_err(|e| Error::io("reading shard", &path, e))?
                else {
                    continue;
                };
                return decode(file).map_err(|reason| {
                    tracing::warn!(shard = %id, path = %path.display(), %reason, "corrupt shard");
                    Error::Corrupt { shard: id, reason }
                });
            }
            Err(Error::NotFound(id))
        })
        .await
    }

    /// Deletes shards; absent ones are skipped. Returns how many were present.
    pub async fn delete_shards(&self, ids: &[ShardId]) -> Result<u32> {
        self.delete_shards_where(ids, None).await
    }

    /// Deletes the shards whose files were last modified before
    /// `cutoff_ms` (Unix milliseconds); newer ones (written again since
    /// they were listed) are kept. The check and the removal happen under
    /// the lock [`StorageNode::put_shard`] replaces files under. Returns how
    /// many were deleted.
    pub async fn delete_shards_modified_before(
        &self,
        ids: &[ShardId],
        cutoff_ms: i64,
    ) -> Result<u32> {
        self.delete_shards_where(ids, Some(cutoff_ms)).await
    }

    async fn delete_shards_where(&self, ids: &[ShardId], cutoff_ms: Option<i64>) -> Result<u32> {
        let shared = self.shared.clone();
        let ids = ids.to_vec();
        blocking(move || {
            let mut deleted = 0u32;
            let mut touched = HashSet::new();
            for id in &ids {
                let mut found = false;
                let _guard = shared
                    .lock_for(id)
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                for path in shared.candidate_paths(id) {
                    if let Some(cutoff) = cutoff_ms {
                        let newer = listing::modified_since(&path, cutoff)
                            .map_err(|e| Error::io("checking shard", &path, e))?;
                        if newer {
                            continue;
                        }
                    }
                    let removed = disk::remove_if_exists(&path)
                        .map_err(|e| Error::io("deleting shard", &path, e))?;
                    if let Some(size) = removed {
                        shared.sub_usage(1, size);
                        found = true;
                        if let Some(parent) = path.parent() {
                            touched.insert(parent.to_path_buf());
                        }
                    }
                }
                deleted += u32::from(found);
            }
            for dir in &touched {
                disk::sync_dir(dir).map_err(|e| Error::io("syncing", dir, e))?;
            }
            tracing::debug!(requested = ids.len(), deleted, "deleted shards");
            Ok(deleted)
        })
        .await
    }

    /// Up to `limit` shards (at most [`listing::MAX_PAGE`]; 0 for that many)
    /// in (block id, index) order after `after`, and whether the page
    /// stopped at the limit.
    pub async fn list_shards(
        &self,
        after: Option<ShardId>,
        limit: usize,
    ) -> Result<(Vec<ShardInfo>, bool)> {
        let shared = self.shared.clone();
        blocking(move || {
            listing::list(&shared.dirs, after, limit)
                .map_err(|e| Error::io("listing shards in", &shared.dirs[0], e))
        })
        .await
    }

    /// Identity, capacity and usage of this node.
    pub async fn status(&self) -> Result<NodeStatus> {
        let shared = self.shared.clone();
        let (capacity_bytes, available_bytes) = blocking(move || {
            let mut seen = HashSet::new();
            let (mut capacity, mut available) = (0u64, 0u64);
            for dir in &shared.dirs {
                let st =
                    rustix::fs::statvfs(dir).map_err(|e| Error::io("statvfs", dir, e.into()))?;
                // Several data directories on one filesystem count once.
                if seen.insert(st.f_fsid) {
                    capacity = capacity.saturating_add(st.f_blocks.saturating_mul(st.f_frsize));
                    available = available.saturating_add(st.f_bavail.saturating_mul(st.f_frsize));
                }
            }
            Ok((capacity, available))
        })
        .await?;
        Ok(NodeStatus {
            node_id: self.id,
            zone: self.zone.clone(),
            capacity_bytes,
            available_bytes,
            used_bytes: self.shared.used_bytes.load(Ordering::Relaxed),
            shard_count: self.shared.shard_count.load(Ordering::Relaxed),
        })
    }

    /// The data directories, in configuration order.
    pub fn data_dirs(&self) -> &[PathBuf] {
        &self.shared.dirs
    }
}
