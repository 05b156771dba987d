//! Block queries: through the block index to the records holding blocks.
//! Each query reads one RocksDB snapshot, so index and records agree.

use crate::store::db::{self, CF_BLOCKS, CF_OBJECTS, CF_PARTS, CF_REPAIR};
use crate::store::index::{block_key, decode_block_key};
use crate::store::keys;
use crate::Result;
use rocksdb::{SnapshotWithThreadMode, DB};
use std::collections::HashMap;
use tessera_types::codec;
use tessera_types::meta::MetaError;
use tessera_types::{BlockId, BlockOwner, BlockRef, ObjectRecord, OwnedBlock, PartRecord, Segment};

/// Most blocks one query answers: bounds the size of a reply.
pub(crate) const MAX_BLOCKS: usize = 10_000;

type Snap<'a> = SnapshotWithThreadMode<'a, DB>;

/// Resolves blocks to their current `BlockRef`s at one snapshot, decoding
/// each owning record once.
struct Resolver<'a> {
    db: &'a DB,
    snap: Snap<'a>,
    records: HashMap<BlockOwner, Vec<Segment>>,
}

impl<'a> Resolver<'a> {
    fn new(db: &'a DB) -> Self {
        Resolver {
            db,
            snap: db.snapshot(),
            records: HashMap::new(),
        }
    }

    fn owner(&self, id: &BlockId) -> Result<Option<BlockOwner>> {
        match self
            .snap
            .get_cf(db::cf(self.db, CF_BLOCKS)?, block_key(id))?
        {
            Some(v) => Ok(Some(codec::decode(&v)?)),
            None => Ok(None),
        }
    }

    /// The segments of `owner`'s record (empty if it is gone).
    fn segments(&mut self, owner: &BlockOwner) -> Result<&[Segment]> {
        if !self.records.contains_key(owner) {
            let segments = match owner {
                BlockOwner::Object { bucket, key } => {
                    let k = keys::object_key(bucket, key);
                    match self.snap.get_cf(db::cf(self.db, CF_OBJECTS)?, k)? {
                        Some(v) => codec::decode::<ObjectRecord>(&v)?.segments,
                        None => Vec::new(),
                    }
                }
                BlockOwner::Part {
                    bucket,
                    key,
                    upload_id,
                    number,
                } => {
                    let k = keys::part_key(bucket, key, upload_id, *number);
                    match self.snap.get_cf(db::cf(self.db, CF_PARTS)?, k)? {
                        Some(v) => codec::decode::<PartRecord>(&v)?.segments,
                        None => Vec::new(),
                    }
                }
            };
            self.records.insert(owner.clone(), segments);
        }
        Ok(self
            .records
            .get(owner)
            .map(Vec::as_slice)
            .unwrap_or_default())
    }

    /// The block `id` as `owner` records it.
    fn block(&mut self, owner: &BlockOwner, id: BlockId) -> Result<Option<BlockRef>> {
        let found = self.segments(owner)?.iter().find_map(|s| match s {
            Segment::Block(b) if b.id == id => Some(b.clone()),
            _ => None,
        });
        if found.is_none() {
            tracing::warn!(block = %id, %owner, "block index entry without its block");
        }
        Ok(found)
    }

    fn owned(&mut self, id: BlockId) -> Result<Option<OwnedBlock>> {
        let Some(owner) = self.owner(&id)? else {
            return Ok(None);
        };
        Ok(self
            .block(&owner, id)?
            .map(|block| OwnedBlock { owner, block }))
    }

    /// Up to `max` blocks whose ids are the keys of `cf` after `after`.
    fn scan(&mut self, cf: &str, after: Option<BlockId>, max: u32) -> Result<Vec<OwnedBlock>> {
        let max = (max as usize).min(MAX_BLOCKS);
        let mut ids = Vec::new();
        {
            let mut it = self.snap.raw_iterator_cf(db::cf(self.db, cf)?);
            match &after {
                Some(a) => {
                    it.seek(block_key(a));
                    if it.key() == Some(block_key(a)) {
                        it.next();
                    }
                }
                None => it.seek_to_first(),
            }
            while let Some(k) = it.key() {
                if ids.len() >= max {
                    break;
                }
                ids.push(decode_block_key(k)?);
                it.next();
            }
            it.status()?;
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.owned(id)?);
        }
        Ok(out)
    }
}

/// `GetBlocks`: the current `BlockRef` of each id, `None` if no record holds it.
pub(crate) fn get_blocks(
    db: &DB,
    ids: &[BlockId],
) -> Result<Result<Vec<Option<BlockRef>>, MetaError>> {
    if ids.len() > MAX_BLOCKS {
        return Ok(Err(MetaError::Invalid(format!(
            "at most {MAX_BLOCKS} blocks per lookup"
        ))));
    }
    let mut r = Resolver::new(db);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(r.owned(*id)?.map(|o| o.block));
    }
    Ok(Ok(out))
}

/// `ScanBlocks`: blocks in id order after `after`, with their owners.
pub(crate) fn scan_blocks(db: &DB, after: Option<BlockId>, max: u32) -> Result<Vec<OwnedBlock>> {
    Resolver::new(db).scan(CF_BLOCKS, after, max)
}

/// `ListRepairQueue`: queued blocks in id order after `after`.
pub(crate) fn list_repair_queue(
    db: &DB,
    after: Option<BlockId>,
    max: u32,
) -> Result<Vec<OwnedBlock>> {
    Resolver::new(db).scan(CF_REPAIR, after, max)
}

/// `RepairQueueLength`.
pub(crate) fn repair_queue_length(db: &DB) -> Result<u64> {
    let mut it = db.raw_iterator_cf(db::cf(db, CF_REPAIR)?);
    it.seek_to_first();
    let mut n = 0u64;
    while it.valid() {
        n += 1;
        it.next();
    }
    it.status()?;
    Ok(n)
}
