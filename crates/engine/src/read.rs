//! The read path: object segments -> bytes, for any byte range, fetching only
//! the blocks the range touches, data shards first, parity only on failure.

use crate::{DataStream, Engine, Error, Result};
use bytes::Bytes;
use futures::stream::{self, FuturesUnordered};
use futures::StreamExt;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;
use tessera_types::{BlockRef, Segment, ShardId};
use tracing::{debug, warn};

/// How long shard reads may be outstanding before more shards are read in
/// their place (a hedge against a node that stopped answering).
const HEDGE_AFTER: Duration = Duration::from_millis(500);

/// The bytes `range` of a block given as consecutive `parts`.
fn slice_parts(parts: Vec<Bytes>, range: Range<usize>) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(parts.len());
    let mut offset = 0;
    for part in parts {
        let (start, end) = (offset, offset + part.len());
        offset = end;
        if end <= range.start || start >= range.end {
            continue;
        }
        let from = range.start.max(start) - start;
        let to = range.end.min(end) - start;
        if from < to {
            out.push(part.slice(from..to));
        }
    }
    out
}

/// One piece of a read: a segment and the byte range wanted from it.
enum Piece {
    Inline(Bytes),
    Block(BlockRef, Range<usize>),
}

impl Engine {
    /// Streams bytes `range` of the data made of `segments`. Blocks are fetched
    /// `read_ahead` at a time ahead of the consumer.
    pub fn read(self: &Arc<Self>, segments: &[Segment], range: Range<u64>) -> DataStream {
        let mut pieces = Vec::new();
        let mut offset = 0u64;
        for seg in segments {
            let len = seg.len();
            let (start, end) = (offset, offset + len);
            offset = end;
            if end <= range.start || start >= range.end || len == 0 {
                continue;
            }
            let from = (range.start.max(start) - start) as usize;
            let to = (range.end.min(end) - start) as usize;
            pieces.push(match seg {
                Segment::Inline(data) => Piece::Inline(Bytes::copy_from_slice(&data[from..to])),
                Segment::Block(b) => Piece::Block(b.clone(), from..to),
            });
        }
        let engine = Arc::clone(self);
        stream::iter(pieces)
            .map(move |piece| {
                let engine = Arc::clone(&engine);
                async move {
                    match piece {
                        Piece::Inline(b) => Ok(vec![b]),
                        Piece::Block(block, r) => {
                            let parts = engine.fetch_block_parts(&block).await?;
                            Ok(slice_parts(parts, r))
                        }
                    }
                }
            })
            .buffered(self.read_ahead)
            .flat_map(|fetched: Result<Vec<Bytes>>| match fetched {
                Ok(parts) => stream::iter(parts.into_iter().map(Ok)).left_stream(),
                Err(e) => stream::once(async { Err(e) }).right_stream(),
            })
            .boxed()
    }

    /// Reads and verifies one block, as one buffer.
    pub async fn fetch_block(&self, block: &BlockRef) -> Result<Bytes> {
        let parts = self.fetch_block_parts(block).await?;
        tessera_erasure::join(&parts, block.size as usize)
            .map_err(|e| Error::Internal(format!("joining a block: {e}")))
    }

    /// Reads and verifies one block: its data shards in parallel, and parity
    /// shards only for those that are missing, unreachable or corrupt. The
    /// block comes as consecutive pieces (its data shards, not copied into
    /// one buffer when they are all there).
    pub async fn fetch_block_parts(&self, block: &BlockRef) -> Result<Vec<Bytes>> {
        let k = block.profile.data as usize;
        let total = block.shards.len();
        let mut shards: Vec<Option<Bytes>> = vec![None; total];
        let mut good = 0usize;
        let mut failures: Vec<String> = Vec::new();
        // Data shards first (no decoding needed when they are all there),
        // and shards on nodes known to be down last.
        let live = self.live_nodes();
        let mut order: Vec<usize> = (0..total).filter(|i| block.shards[*i].is_some()).collect();
        order.sort_by_key(|i| {
            let down = block.shards[*i]
                .as_ref()
                .is_some_and(|r| !live.contains(&r.node));
            (down, *i >= k, *i)
        });
        let mut order = order.into_iter();
        let read = |index: usize| {
            let r = block.shards[index].as_ref();
            let node = r.map(|r| r.node).unwrap_or_default();
            let client = r.and_then(|r| self.pool.get(r.node));
            let expected = r.map(|r| r.blake3).unwrap_or_default();
            let id = ShardId {
                block: block.id,
                index: index as u8,
            };
            async move {
                let result = match client {
                    Some(c) => c
                        .get_shard_expecting(id, expected)
                        .await
                        .map_err(|e| e.to_string()),
                    None => Err(format!("node {node} unknown")),
                };
                (index, node, result)
            }
        };
        // k reads at first; another shard for each that fails, and for each
        // still outstanding after HEDGE_AFTER (a node that stopped answering
        // before the cluster noticed must not stall the read until its
        // deadline). The first k good shards win.
        let mut inflight = FuturesUnordered::new();
        inflight.extend(order.by_ref().take(k).map(read));
        let hedge = tokio::time::sleep(HEDGE_AFTER);
        tokio::pin!(hedge);
        while good < k {
            if inflight.is_empty() {
                match order.next() {
                    Some(i) => inflight.push(read(i)),
                    None => break,
                }
            }
            tokio::select! {
                Some((index, node, result)) = inflight.next() => match result {
                    Ok(data) if data.len() as u64 == block.shard_len => {
                        shards[index] = Some(data);
                        good += 1;
                    }
                    Ok(data) => {
                        failures.push(format!(
                            "shard {index} on node {node}: length {} != {}",
                            data.len(),
                            block.shard_len
                        ));
                        inflight.extend(order.next().map(read));
                    }
                    Err(e) => {
                        failures.push(format!("shard {index} on node {node}: {e}"));
                        inflight.extend(order.next().map(read));
                    }
                },
                _ = &mut hedge => {
                    let extra = inflight.len().min(k - good);
                    if extra > 0 {
                        debug!(block = %block.id, extra, "shard reads slow, reading more shards");
                    }
                    inflight.extend(order.by_ref().take(extra).map(read));
                    hedge.as_mut().reset(tokio::time::Instant::now() + HEDGE_AFTER);
                }
            }
        }
        if !failures.is_empty() {
            warn!(block = %block.id, failures = %failures.join("; "), "shards unreadable, using parity");
        }
        if good < k {
            return Err(Error::DataLoss(format!(
                "block {}: {good} of {k} needed shards readable ({})",
                block.id,
                failures.join("; ")
            )));
        }
        let codec = self.codec_for(block.profile)?;
        let size = block.size as usize;
        tokio::task::spawn_blocking(move || codec.decode_parts(shards, size))
            .await
            .map_err(|e| Error::Internal(format!("decode task: {e}")))?
            .map_err(|e| Error::DataLoss(format!("decode: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::slice_parts;
    use bytes::Bytes;

    #[test]
    fn ranges_across_parts() {
        let parts = || {
            vec![
                Bytes::from_static(b"abcd"),
                Bytes::from_static(b"efgh"),
                Bytes::from_static(b"ij"),
            ]
        };
        let join = |v: Vec<Bytes>| v.concat();
        assert_eq!(join(slice_parts(parts(), 0..10)), b"abcdefghij");
        assert_eq!(join(slice_parts(parts(), 2..7)), b"cdefg");
        assert_eq!(slice_parts(parts(), 4..8).len(), 1);
        assert_eq!(join(slice_parts(parts(), 9..10)), b"j");
        assert!(slice_parts(parts(), 3..3).is_empty());
    }
}
