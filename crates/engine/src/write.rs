//! The write path: body -> blocks -> k+m shards on k+m distinct nodes.

use crate::hashing::Md5Task;
use crate::{BodyStream, Engine, Error, Result};
use bytes::{Buf, Bytes};
use futures::stream::{FuturesOrdered, FuturesUnordered};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_erasure::{placement, Codec, PageBuf};
use tessera_types::{BlockId, BlockRef, Segment, ShardId, ShardRef, StorageClass};
use tracing::{debug, warn};

/// The least time the shards of a block still outstanding get once enough
/// shards are durable (see `store_block`).
const STRAGGLER_GRACE: Duration = Duration::from_secs(2);

/// What [`Engine::write_data`] stored: not yet part of any object until the
/// caller commits it to meta (or gives it back with [`Engine::discard`]).
#[derive(Debug, Clone)]
pub struct WrittenData {
    pub segments: Vec<Segment>,
    pub size: u64,
    pub md5: [u8; 16],
}

impl Engine {
    /// Streams `body` into erasure-coded blocks (or one inline segment for a
    /// small body). Returns once every block's shards are durable on a write
    /// quorum of nodes. On any error, shards already written are deleted.
    /// `max_size` bounds the body: exceeding it fails with
    /// [`Error::TooLarge`] as soon as it is seen.
    pub async fn write_data(
        self: &Arc<Self>,
        class: StorageClass,
        mut body: BodyStream,
        max_size: u64,
    ) -> Result<WrittenData> {
        let codec = self.codec(class).clone();
        let mut md5 = Md5Task::new();
        // The block being filled, in pages of its own (see `PageBuf`).
        let mut buf: Option<PageBuf> = None;
        let mut total: u64 = 0;
        let mut segments: Vec<Segment> = Vec::new();
        let mut inflight = FuturesOrdered::new();

        let outcome: Result<()> = async {
            while let Some(item) = body.next().await {
                let mut chunk = item.map_err(Error::Body)?;
                total += chunk.len() as u64;
                if total > max_size {
                    return Err(Error::TooLarge);
                }
                md5.update(chunk.clone()).await;
                while !chunk.is_empty() {
                    if buf.is_none() && chunk.len() >= self.block_size {
                        // A whole block in one chunk: no copy needed.
                        let block = chunk.split_to(self.block_size);
                        inflight.push_back(self.spawn_store(codec.clone(), block).await?);
                    } else {
                        let fill = match &mut buf {
                            Some(b) => b,
                            None => buf.insert(PageBuf::with_capacity(self.block_size).map_err(
                                |e| Error::Internal(format!("allocating a block buffer: {e}")),
                            )?),
                        };
                        let taken = fill.extend_from_slice(&chunk);
                        chunk.advance(taken);
                        if fill.is_full() {
                            if let Some(full) = buf.take() {
                                let block = full.freeze();
                                inflight.push_back(self.spawn_store(codec.clone(), block).await?);
                            }
                        }
                    }
                    while inflight.len() >= self.write_pipeline {
                        if let Some(seg) = inflight.next().await {
                            segments.push(seg?);
                        }
                    }
                }
            }
            let rest = buf.take().filter(|b| !b.is_empty());
            let rest_len = rest.as_ref().map_or(0, |b| b.len());
            if segments.is_empty() && inflight.is_empty() && rest_len <= self.inline_threshold {
                let data = rest.map(|b| b.as_slice().to_vec()).unwrap_or_default();
                segments.push(Segment::Inline(data));
            } else if let Some(rest) = rest {
                inflight.push_back(self.spawn_store(codec.clone(), rest.freeze()).await?);
            }
            while let Some(seg) = inflight.next().await {
                segments.push(seg?);
            }
            Ok(())
        }
        .await;

        if let Err(e) = outcome {
            // Let in-flight blocks finish so that nothing is left behind.
            while let Some(seg) = inflight.next().await {
                if let Ok(seg) = seg {
                    segments.push(seg);
                }
            }
            self.discard(&segments).await;
            return Err(e);
        }
        let md5 = md5.finish().await?;
        Ok(WrittenData {
            segments,
            size: total,
            md5,
        })
    }

    /// Stores a block on its own task, so that encoding and shard I/O go on
    /// while the next block is read from the client. Waits first for the
    /// block's share of the write budget, held until the block is stored.
    async fn spawn_store(
        self: &Arc<Self>,
        codec: Codec,
        block: Bytes,
    ) -> Result<impl std::future::Future<Output = Result<Segment>>> {
        let kib = u32::try_from(block.len().div_ceil(1024))
            .unwrap_or(u32::MAX)
            .min(self.write_budget_kib);
        let permit = Arc::clone(&self.write_budget)
            .acquire_many_owned(kib)
            .await
            .map_err(|e| Error::Internal(format!("write budget: {e}")))?;
        let engine = Arc::clone(self);
        let task = tokio::spawn(async move {
            let stored = engine.store_block(codec, block).await;
            drop(permit);
            stored
        });
        Ok(async move {
            task.await
                .map_err(|e| Error::Internal(format!("block store task: {e}")))?
        })
    }

    /// Encodes one block and writes its shards to their placed nodes in
    /// parallel. Succeeds once `data` shards are durable; missing shards are
    /// recorded as `None` (a degraded block) and logged.
    async fn store_block(&self, codec: Codec, block: Bytes) -> Result<Segment> {
        let profile = codec.profile();
        let size = block.len();
        let shard_len = codec.shard_len(size) as u64;
        let (shards, hashes) = tokio::task::spawn_blocking(move || -> Result<_> {
            let shards = codec
                .encode(&block)
                .map_err(|e| Error::Internal(format!("erasure encode: {e}")))?;
            let hashes: Vec<[u8; 32]> = shards
                .iter()
                .map(|s| tessera_erasure::shard_hash(s))
                .collect();
            Ok((shards, hashes))
        })
        .await
        .map_err(|e| Error::Internal(format!("encode task: {e}")))??;

        let id = BlockId::random();
        let total = profile.total();
        let quorum = profile.data as usize;
        let mut nodes = placement::place(&id, &self.placement_candidates(), total);
        if nodes.len() < total {
            // Nodes may have joined since the last refresh of the cluster map.
            self.refresh_nodes_if_stale().await;
            nodes = placement::place(&id, &self.placement_candidates(), total);
        }
        if nodes.len() < total {
            // Too few nodes known live: try the late ones too; a write to a
            // node that is really gone just fails.
            let late: Vec<_> = self
                .late_candidates()
                .into_iter()
                .filter(|c| !nodes.contains(&c.id))
                .collect();
            nodes.extend(placement::place(&id, &late, total - nodes.len()));
        }
        if nodes.len() < quorum {
            return Err(Error::Unavailable(format!(
                "{} storage nodes up, {} needed for a {}+{} block",
                nodes.len(),
                quorum,
                profile.data,
                profile.parity
            )));
        }

        let mut puts = FuturesUnordered::new();
        for (index, node) in nodes.iter().copied().enumerate() {
            let shard = ShardId {
                block: id,
                index: index as u8,
            };
            let data = shards[index].clone();
            let hash = hashes[index];
            let client = self.pool.get(node);
            puts.push(async move {
                let result = match client {
                    Some(c) => c
                        .put_shard(shard, data, hash)
                        .await
                        .map_err(|e| e.to_string()),
                    None => Err(format!("no client for node {node}")),
                };
                (index, node, result)
            });
        }
        let mut refs: Vec<Option<ShardRef>> = vec![None; total];
        let mut failures = Vec::new();
        let mut written = 0;
        let started = Instant::now();
        // Once `quorum` shards are durable, the others get a grace period
        // (a node that stopped answering before the cluster noticed must not
        // hold the PUT until its deadline); shards still outstanding then
        // are abandoned and the block is recorded degraded, for repair.
        let mut grace: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
        loop {
            let next = match grace.as_mut() {
                None => puts.next().await,
                Some(g) => tokio::select! {
                    r = puts.next() => r,
                    _ = g => {
                        failures.push(format!("{} shard(s) not stored within the grace period", puts.len()));
                        break;
                    }
                },
            };
            let Some((index, node, result)) = next else {
                break;
            };
            match result {
                Ok(()) => {
                    refs[index] = Some(ShardRef {
                        node,
                        blake3: hashes[index],
                    });
                    written += 1;
                    if written == quorum && grace.is_none() {
                        let wait = (started.elapsed() * 4).max(STRAGGLER_GRACE);
                        grace = Some(Box::pin(tokio::time::sleep(wait)));
                    }
                }
                Err(e) => failures.push(format!("shard {index} on node {node}: {e}")),
            }
        }
        let block = BlockRef {
            id,
            size: size as u64,
            profile,
            shard_len,
            shards: refs,
        };
        if written < quorum {
            self.delete_shards_of([&block]).await;
            return Err(Error::Unavailable(format!(
                "only {written} of {total} shards written: {}",
                failures.join("; ")
            )));
        }
        if written < total {
            warn!(block = %id, written, total, failures = %failures.join("; "), "degraded write");
        } else {
            debug!(block = %id, size, "block stored");
        }
        Ok(Segment::Block(block))
    }

    /// Gives back the data of a metadata commit that failed with `err`. Its
    /// shards are deleted only when meta answered (the command was applied
    /// and refused, so nothing references them); when the outcome is
    /// unknown (a timeout, a lost leader) the command may still commit, so
    /// the shards stay, and the orphan sweep frees them if it did not.
    pub async fn discard_uncommitted(
        &self,
        segments: &[Segment],
        err: &tessera_meta_client::Error,
    ) {
        match err {
            tessera_meta_client::Error::Meta(_) => self.discard(segments).await,
            _ => warn!(error = %err, "commit outcome unknown: keeping the written shards"),
        }
    }

    /// Deletes the shards of segments that will not be committed.
    pub async fn discard(&self, segments: &[Segment]) {
        let blocks = segments.iter().filter_map(|s| match s {
            Segment::Block(b) => Some(b),
            Segment::Inline(_) => None,
        });
        self.delete_shards_of(blocks).await;
    }

    /// Shard ids per delete request: a request stays short (well inside
    /// its deadline) however many blocks are being freed.
    const DELETE_CHUNK: usize = 1024;

    /// Deletes the shards of `blocks`, with one request per node (per
    /// [`Self::DELETE_CHUNK`] shards), the nodes in parallel. Returns the
    /// nodes that failed (or are unknown); on every other node the shards
    /// are gone.
    pub async fn delete_shards_of<'a>(
        &self,
        blocks: impl IntoIterator<Item = &'a BlockRef>,
    ) -> BTreeSet<u64> {
        let mut per_node: BTreeMap<u64, Vec<ShardId>> = BTreeMap::new();
        for b in blocks {
            for (index, shard) in b.shards.iter().enumerate() {
                if let Some(s) = shard {
                    per_node.entry(s.node).or_default().push(ShardId {
                        block: b.id,
                        index: index as u8,
                    });
                }
            }
        }
        let mut deletes = FuturesUnordered::new();
        for (node, ids) in per_node {
            let client = self.pool.get(node);
            deletes.push(async move {
                let Some(c) = client else {
                    return (node, Err("unknown node".to_string()));
                };
                for chunk in ids.chunks(Self::DELETE_CHUNK) {
                    if let Err(e) = c.delete_shards(chunk).await {
                        return (node, Err(e.to_string()));
                    }
                }
                (node, Ok(()))
            });
        }
        let mut failed = BTreeSet::new();
        while let Some((node, result)) = deletes.next().await {
            if let Err(e) = result {
                warn!(node, error = %e, "deleting shards failed");
                failed.insert(node);
            }
        }
        failed
    }
}
