//! The block index (`blocks`: block id -> owner) and the repair queue
//! (`repair`: the ids of blocks recorded with a missing shard), kept in step
//! with the records by every command that stores, moves or frees blocks.

use super::apply::segment_blocks;
use super::db::{self, CF_BLOCKS, CF_OBJECTS, CF_PARTS, CF_REPAIR, CF_SM};
use super::keys::{self, SEP};
use super::tx::{Abort, Step, Tx};
use crate::{Error, Result};
use rocksdb::{WriteBatch, DB};
use tessera_types::codec;
use tessera_types::meta::{CommandReply, MetaError};
use tessera_types::{BlockId, BlockOwner, BlockRef, ObjectRecord, PartRecord, Segment, ShardRef};

/// `sm` key recording the version of the block index the database holds.
pub(crate) const KEY_BLOCK_INDEX: &[u8] = b"block_index";
/// The version this release builds.
pub(crate) const INDEX_VERSION: u32 = 1;

/// The key of a block in `blocks` and `repair`: its 16 id bytes.
pub(crate) fn block_key(id: &BlockId) -> &[u8] {
    &id.0
}

/// Decodes a key written by [`block_key`].
pub(crate) fn decode_block_key(k: &[u8]) -> Result<BlockId> {
    let bytes: [u8; 16] = k
        .try_into()
        .map_err(|_| Error::Corrupt(format!("block key of {} bytes", k.len())))?;
    Ok(BlockId(bytes))
}

/// Whether an update may replace `stored` with `new`: the same block, cut
/// the same way.
pub(crate) fn same_shape(stored: &BlockRef, new: &BlockRef) -> bool {
    stored.id == new.id
        && stored.profile == new.profile
        && stored.size == new.size
        && stored.shard_len == new.shard_len
        && stored.shards.len() == new.shards.len()
}

impl Tx<'_> {
    /// Records `block` as held by `owner`, and queues it for repair if a
    /// shard is missing (or dequeues it if it was queued and is whole now).
    pub(crate) fn index_block(&mut self, owner: &BlockOwner, block: &BlockRef) -> Result<()> {
        let k = block_key(&block.id);
        self.put(CF_BLOCKS, k, owner)?;
        if block.is_degraded() {
            self.put_raw(CF_REPAIR, k, &[])?;
        } else if self.exists(CF_REPAIR, k)? {
            self.delete(CF_REPAIR, k)?;
        }
        Ok(())
    }

    /// [`Tx::index_block`] for each of `blocks`.
    pub(crate) fn index_blocks<'b>(
        &mut self,
        owner: &BlockOwner,
        blocks: impl Iterator<Item = &'b BlockRef>,
    ) -> Result<()> {
        for b in blocks {
            self.index_block(owner, b)?;
        }
        Ok(())
    }

    /// Forgets a freed block: its index entry and its repair queue entry.
    pub(crate) fn unindex_block(&mut self, block: &BlockRef) -> Result<()> {
        let k = block_key(&block.id);
        self.delete(CF_BLOCKS, k)?;
        // Deleting only what exists keeps the small, often-scanned queue
        // free of tombstones.
        if self.exists(CF_REPAIR, k)? {
            self.delete(CF_REPAIR, k)?;
        }
        Ok(())
    }
}

/// The block `id` in `segments`.
fn find_block(segments: &mut [Segment], id: BlockId) -> Option<&mut BlockRef> {
    segments.iter_mut().find_map(|s| match s {
        Segment::Block(b) if b.id == id => Some(b),
        _ => None,
    })
}

/// Checks that `stored` may be replaced by `block` (see `UpdateBlock`).
fn check_update(
    stored: &BlockRef,
    block: &BlockRef,
    expected: Option<&[Option<ShardRef>]>,
) -> Step<()> {
    if !same_shape(stored, block) {
        return Err(MetaError::BlockMismatch(format!(
            "block {} is stored with another profile, size or shard count",
            block.id
        ))
        .into());
    }
    if expected.is_some_and(|e| e != stored.shards.as_slice()) {
        return Err(MetaError::BlockMismatch(format!(
            "block {} changed since it was read",
            block.id
        ))
        .into());
    }
    Ok(())
}

/// `UpdateBlock`: records a repaired block in the record that owns it.
pub(crate) fn update_block(
    tx: &mut Tx<'_>,
    block: &BlockRef,
    expected: Option<&[Option<ShardRef>]>,
) -> Step<CommandReply> {
    let not_held = || Abort::App(MetaError::NoSuchBlock);
    let owner: BlockOwner = tx
        .get(CF_BLOCKS, block_key(&block.id))?
        .ok_or_else(not_held)?;
    match &owner {
        BlockOwner::Object { bucket, key } => {
            let k = keys::object_key(bucket, key);
            let mut object: ObjectRecord = tx.get(CF_OBJECTS, &k)?.ok_or_else(not_held)?;
            let stored = find_block(&mut object.segments, block.id).ok_or_else(not_held)?;
            check_update(stored, block, expected)?;
            *stored = block.clone();
            tx.put(CF_OBJECTS, &k, &object)?;
        }
        BlockOwner::Part {
            bucket,
            key,
            upload_id,
            number,
        } => {
            let k = keys::part_key(bucket, key, upload_id, *number);
            let mut part: PartRecord = tx.get(CF_PARTS, &k)?.ok_or_else(not_held)?;
            let stored = find_block(&mut part.segments, block.id).ok_or_else(not_held)?;
            check_update(stored, block, expected)?;
            *stored = block.clone();
            tx.put(CF_PARTS, &k, &part)?;
        }
    }
    tx.index_block(&owner, block)?;
    Ok(CommandReply::Done)
}

/// Builds the block index and the repair queue from the object and part
/// records, unless the database already holds them (a database written by a
/// release without the index, or after installing such a snapshot).
pub(crate) fn ensure_built(db: &DB) -> Result<()> {
    let version: Option<u32> = db::get(db, CF_SM, KEY_BLOCK_INDEX)?;
    if version == Some(INDEX_VERSION) {
        return Ok(());
    }
    let mut batch = db::clear_batch(db, &[CF_BLOCKS, CF_REPAIR])?;
    let (blocks_cf, repair_cf) = (db::cf(db, CF_BLOCKS)?, db::cf(db, CF_REPAIR)?);
    let mut count = 0u64;
    let mut add = |batch: &mut WriteBatch, owner: &BlockOwner, segments: &[Segment]| {
        let value = codec::encode(owner)?;
        for b in segment_blocks(segments) {
            batch.put_cf(blocks_cf, block_key(&b.id), &value);
            if b.is_degraded() {
                batch.put_cf(repair_cf, block_key(&b.id), b"");
            }
            count += 1;
        }
        Ok::<_, Error>(())
    };
    let mut it = db.raw_iterator_cf(db::cf(db, CF_OBJECTS)?);
    it.seek_to_first();
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        let (bucket, key) = split_object_key(k)?;
        let object: ObjectRecord = codec::decode(v)?;
        add(
            &mut batch,
            &BlockOwner::Object { bucket, key },
            &object.segments,
        )?;
        it.next();
    }
    it.status()?;
    let mut it = db.raw_iterator_cf(db::cf(db, CF_PARTS)?);
    it.seek_to_first();
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        let owner = split_part_key(k)?;
        let part: PartRecord = codec::decode(v)?;
        add(&mut batch, &owner, &part.segments)?;
        it.next();
    }
    it.status()?;
    batch.put_cf(
        db::cf(db, CF_SM)?,
        KEY_BLOCK_INDEX,
        codec::encode(&INDEX_VERSION)?,
    );
    db.write_opt(batch, &db::synced())?;
    if count > 0 {
        tracing::info!(blocks = count, "built the block index");
    }
    Ok(())
}

fn text(bytes: &[u8]) -> Result<String> {
    Ok(crate::query::utf8(bytes)?.to_string())
}

/// `bucket\0key` -> (bucket, key).
fn split_object_key(k: &[u8]) -> Result<(String, String)> {
    let sep = k
        .iter()
        .position(|b| *b == SEP)
        .ok_or_else(|| Error::Corrupt("object key without separator".into()))?;
    Ok((text(&k[..sep])?, text(&k[sep + 1..])?))
}

/// `bucket\0key\0upload_id\0<be u32>` -> the part's owner entry.
fn split_part_key(k: &[u8]) -> Result<BlockOwner> {
    let bad = || Error::Corrupt("malformed part key".into());
    let n = k.len().checked_sub(5).ok_or_else(bad)?;
    let number: [u8; 4] = k[n + 1..].try_into().map_err(|_| bad())?;
    let rest = &k[..n];
    let first = rest.iter().position(|b| *b == SEP).ok_or_else(bad)?;
    let last = rest.iter().rposition(|b| *b == SEP).ok_or_else(bad)?;
    if first == last || k[n] != SEP {
        return Err(bad());
    }
    Ok(BlockOwner::Part {
        bucket: text(&rest[..first])?,
        key: text(&rest[first + 1..last])?,
        upload_id: text(&rest[last + 1..])?,
        number: u32::from_be_bytes(number),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_keys_split_into_owners() {
        let k = keys::part_key("b", "k/x", "u1", 0x0100_0000);
        assert_eq!(
            split_part_key(&k).unwrap(),
            BlockOwner::Part {
                bucket: "b".into(),
                key: "k/x".into(),
                upload_id: "u1".into(),
                number: 0x0100_0000,
            }
        );
        assert!(split_part_key(b"short").is_err());
        assert_eq!(
            split_object_key(&keys::object_key("b", "k")).unwrap(),
            ("b".into(), "k".into())
        );
    }
}
