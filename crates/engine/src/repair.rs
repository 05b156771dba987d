//! Rebuilding shards: a block whose shard is missing (a degraded write) or
//! sits on a node that is not live (down, or removed by an operator) gets
//! that shard re-encoded from the others and written to another live node.

use crate::{Engine, Error, Result};
use futures::stream::FuturesUnordered;
use futures::StreamExt;
use std::collections::HashSet;
use tessera_erasure::placement;
use tessera_types::{BlockRef, ShardId, ShardRef};
use tracing::{debug, warn};

/// What a repair did to a block.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    /// The block with its rebuilt shards recorded (to commit to meta).
    pub block: BlockRef,
    /// Shards rebuilt, and bytes written for them.
    pub shards: usize,
    pub bytes: u64,
    /// Shards still missing (not enough live nodes to hold them).
    pub still_missing: usize,
}

impl Engine {
    /// The shard indexes of `block` that need rebuilding: missing, or on a
    /// node that is not live.
    pub fn shards_to_repair(&self, block: &BlockRef) -> Vec<usize> {
        let live = self.live_nodes();
        block
            .shards
            .iter()
            .enumerate()
            .filter(|(_, s)| s.as_ref().is_none_or(|r| !live.contains(&r.node)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Reads every shard of `block` from its live node and returns the
    /// indexes of those that are corrupt: the node's own blake3 check or the
    /// hash recorded in metadata disagrees with the bytes. Unreachable nodes
    /// are not judged here (that is repair's business).
    pub async fn scrub_block(&self, block: &BlockRef) -> Vec<usize> {
        let live = self.live_nodes();
        let mut reads = FuturesUnordered::new();
        for (index, shard) in block.shards.iter().enumerate() {
            let Some(r) = shard else { continue };
            if !live.contains(&r.node) {
                continue;
            }
            let (client, expected) = (self.pool.get(r.node), r.blake3);
            let id = ShardId {
                block: block.id,
                index: index as u8,
            };
            reads.push(async move {
                let c = client?;
                match c.get_shard_expecting(id, expected).await {
                    Ok(_) => None,
                    Err(tessera_storage_client::Error::Corrupt(_)) => Some(index),
                    // A missing file on a live node is as bad as a corrupt one.
                    Err(tessera_storage_client::Error::NotFound) => Some(index),
                    Err(_) => None,
                }
            });
        }
        let mut bad = Vec::new();
        while let Some(r) = reads.next().await {
            bad.extend(r);
        }
        if !bad.is_empty() {
            warn!(block = %block.id, shards = ?bad, "scrub found bad shards");
        }
        bad
    }

    /// Rebuilds the shards of `block` that need it (missing, on a node that
    /// is down, or listed in `bad`) onto live nodes not holding another of
    /// its shards. `Ok(None)` when nothing needed it or no node could take
    /// a shard.
    pub async fn repair_block(&self, block: &BlockRef, bad: &[usize]) -> Result<Option<Repaired>> {
        let mut wanted = self.shards_to_repair(block);
        wanted.extend(bad.iter().copied().filter(|i| *i < block.shards.len()));
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(None);
        }
        // New homes: live nodes holding no other live shard of this block.
        // Chosen first: without any, reading the block would be wasted.
        let keep: HashSet<u64> = block
            .shards
            .iter()
            .enumerate()
            .filter(|(i, _)| !wanted.contains(i))
            .filter_map(|(_, s)| s.as_ref().map(|r| r.node))
            .collect();
        let candidates: Vec<_> = self
            .placement_candidates()
            .into_iter()
            .filter(|c| !keep.contains(&c.id))
            .collect();
        let homes = placement::place(&block.id, &candidates, wanted.len());
        if homes.is_empty() {
            debug!(block = %block.id, "no live node can take a rebuilt shard");
            return Ok(None);
        }

        let data = self.fetch_block(block).await?;
        let codec = self.codec_for(block.profile)?;
        let shards = tokio::task::spawn_blocking(move || codec.encode(&data))
            .await
            .map_err(|e| Error::Internal(format!("encode task: {e}")))?
            .map_err(|e| Error::Internal(format!("erasure encode: {e}")))?;

        let mut puts = FuturesUnordered::new();
        for (index, node) in wanted.iter().copied().zip(homes) {
            let shard = shards[index].clone();
            let hash = tessera_erasure::shard_hash(&shard);
            let client = self.pool.get(node);
            let id = ShardId {
                block: block.id,
                index: index as u8,
            };
            puts.push(async move {
                let r = match client {
                    Some(c) => c
                        .put_shard(id, shard, hash)
                        .await
                        .map_err(|e| e.to_string()),
                    None => Err(format!("node {node} unknown")),
                };
                (index, node, hash, r)
            });
        }
        let mut repaired = block.clone();
        let (mut count, mut bytes) = (0, 0);
        while let Some((index, node, hash, r)) = puts.next().await {
            match r {
                Ok(()) => {
                    repaired.shards[index] = Some(ShardRef { node, blake3: hash });
                    count += 1;
                    bytes += block.shard_len;
                    debug!(block = %block.id, index, node, "shard rebuilt");
                }
                Err(e) => {
                    warn!(block = %block.id, index, node, error = %e, "writing a rebuilt shard failed")
                }
            }
        }
        if count == 0 {
            return Ok(None);
        }
        Ok(Some(Repaired {
            still_missing: wanted.len() - count,
            block: repaired,
            shards: count,
            bytes,
        }))
    }
}
