//! The Reed-Solomon block codec.

use crate::PageBuf;
use crate::{Error, Result};
use bytes::Bytes;
use reed_solomon_erasure::galois_8::ReedSolomon;
use std::fmt;
use std::sync::Arc;
use tessera_types::ErasureProfile;

/// Most shards a block may have: shard indices are a `u8`.
const MAX_TOTAL_SHARDS: usize = 255;

/// Encodes blocks into shards and decodes them back for one [`ErasureProfile`].
///
/// Cheap to clone: the Reed-Solomon matrices (and their decode-matrix cache)
/// are shared behind an `Arc`.
#[derive(Clone)]
pub struct Codec {
    profile: ErasureProfile,
    /// `None` when the profile has no parity (`reed-solomon-erasure` refuses
    /// zero parity shards; there is nothing to compute then anyway).
    rs: Option<Arc<ReedSolomon>>,
}

impl fmt::Debug for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codec")
            .field("profile", &self.profile)
            .finish()
    }
}

impl Codec {
    /// Builds a codec; fails unless `data >= 1` and `data + parity <= 255`.
    pub fn new(profile: ErasureProfile) -> Result<Codec> {
        let invalid = |reason| Error::InvalidProfile {
            data: profile.data,
            parity: profile.parity,
            reason,
        };
        if profile.data == 0 {
            return Err(invalid("at least one data shard is required"));
        }
        if profile.total() > MAX_TOTAL_SHARDS {
            return Err(invalid("at most 255 shards in total"));
        }
        let rs = if profile.parity == 0 {
            None
        } else {
            let rs = ReedSolomon::new(profile.data.into(), profile.parity.into())?;
            Some(Arc::new(rs))
        };
        Ok(Codec { profile, rs })
    }

    /// The profile this codec was built for.
    pub fn profile(&self) -> ErasureProfile {
        self.profile
    }

    fn data_shards(&self) -> usize {
        self.profile.data.into()
    }

    /// Length of each shard of a block of `block_size` bytes:
    /// `ceil(block_size / data)`, and at least 1 so that even an empty block
    /// has well-formed (one zero byte) shards.
    pub fn shard_len(&self, block_size: usize) -> usize {
        block_size.div_ceil(self.data_shards()).max(1)
    }

    /// Splits a block into `data` equal data shards (the last zero-padded) and
    /// computes `parity` parity shards. Returns `data + parity` shards of
    /// [`Codec::shard_len`] bytes each, data shards first.
    pub fn encode(&self, block: &[u8]) -> Result<Vec<Bytes>> {
        let len = self.shard_len(block.len());
        let data = self.data_shards();
        let total = self.profile.total();
        // One buffer for all shards; each returned shard is a view of it.
        // Every byte is written below: the block, its padding, the parity.
        let mut pages = PageBuf::reused(len * total).map_err(|e| Error::Memory(e.to_string()))?;
        let buf = pages.as_mut_slice();
        buf[..block.len()].copy_from_slice(block);
        buf[block.len()..len * data].fill(0);
        if let Some(rs) = &self.rs {
            let (data_part, parity_part) = buf.split_at_mut(len * data);
            let data_shards: Vec<&[u8]> = data_part.chunks(len).collect();
            let mut parity_shards: Vec<&mut [u8]> = parity_part.chunks_mut(len).collect();
            rs.encode_sep(&data_shards, &mut parity_shards)?;
        }
        let buf = pages.freeze();
        Ok((0..total)
            .map(|i| buf.slice(i * len..(i + 1) * len))
            .collect())
    }

    /// Rebuilds the plain bytes of a block of `block_size` bytes from its
    /// shards (`None` marks a missing one; indexed by shard number).
    ///
    /// When every data shard is present this only concatenates them; otherwise
    /// the missing data shards are computed from parity. Fails if fewer than
    /// `data` shards are present or a shard's length is not
    /// `shard_len(block_size)`.
    pub fn decode(&self, shards: Vec<Option<Bytes>>, block_size: usize) -> Result<Bytes> {
        join(&self.decode_parts(shards, block_size)?, block_size)
    }

    /// [`Codec::decode`] as consecutive pieces of the block: its data
    /// shards, the last cut at the block's end. Nothing is copied when every
    /// data shard is present.
    pub fn decode_parts(
        &self,
        shards: Vec<Option<Bytes>>,
        block_size: usize,
    ) -> Result<Vec<Bytes>> {
        self.check_count(shards.len())?;
        let len = self.shard_len(block_size);
        for (index, shard) in shards.iter().enumerate() {
            if let Some(s) = shard {
                if s.len() != len {
                    return Err(Error::ShardLength {
                        index,
                        expected: len,
                        got: s.len(),
                    });
                }
            }
        }
        let data = self.data_shards();
        let data_shards: Option<Vec<Bytes>> = shards[..data].iter().cloned().collect();
        if let Some(data_shards) = data_shards {
            return Ok(cut(data_shards, block_size));
        }

        let present = shards.iter().filter(|s| s.is_some()).count();
        let needed = Error::TooFewShards {
            present,
            needed: data,
        };
        let rs = match &self.rs {
            Some(rs) if present >= data => rs,
            _ => return Err(needed),
        };
        // Copy the data shards we have plus just enough parity shards to make
        // up for the missing ones; the rest stay `None` and are not rebuilt.
        let mut missing = shards[..data].iter().filter(|s| s.is_none()).count();
        let mut work: Vec<Option<Vec<u8>>> = Vec::with_capacity(shards.len());
        for (index, shard) in shards.iter().enumerate() {
            let keep = match shard {
                Some(s) if index < data => Some(s.to_vec()),
                Some(s) if missing > 0 => {
                    missing -= 1;
                    Some(s.to_vec())
                }
                _ => None,
            };
            work.push(keep);
        }
        rs.reconstruct_data(&mut work)?;
        let rebuilt: Option<Vec<Bytes>> = work
            .into_iter()
            .take(data)
            .map(|s| s.map(Bytes::from))
            .collect();
        let rebuilt = rebuilt.ok_or(needed)?;
        Ok(cut(rebuilt, block_size))
    }

    /// Rebuilds every missing shard (data and parity) in place, for repair.
    /// Present shards are left untouched. Fails if fewer than `data` shards
    /// are present or the present shards differ in length.
    pub fn reconstruct_all(&self, shards: &mut [Option<Bytes>]) -> Result<()> {
        self.check_count(shards.len())?;
        let mut expected = None;
        for (index, shard) in shards.iter().enumerate() {
            if let Some(s) = shard {
                let want = *expected.get_or_insert(s.len());
                if s.len() != want {
                    return Err(Error::ShardLength {
                        index,
                        expected: want,
                        got: s.len(),
                    });
                }
            }
        }
        let present = shards.iter().filter(|s| s.is_some()).count();
        if present == shards.len() {
            return Ok(());
        }
        let data = self.data_shards();
        let rs = match &self.rs {
            Some(rs) if present >= data => rs,
            _ => {
                return Err(Error::TooFewShards {
                    present,
                    needed: data,
                })
            }
        };
        let mut work: Vec<Option<Vec<u8>>> = shards
            .iter()
            .map(|s| s.as_ref().map(|b| b.to_vec()))
            .collect();
        rs.reconstruct(&mut work)?;
        for (slot, rebuilt) in shards.iter_mut().zip(work) {
            if slot.is_none() {
                *slot = Some(Bytes::from(rebuilt.ok_or(Error::TooFewShards {
                    present,
                    needed: data,
                })?));
            }
        }
        Ok(())
    }

    fn check_count(&self, got: usize) -> Result<()> {
        let expected = self.profile.total();
        if got != expected {
            return Err(Error::ShardCount { expected, got });
        }
        Ok(())
    }
}

/// The data shards as the pieces of a block of `block_size` bytes: the
/// padding after its end (and shards wholly past it) dropped.
fn cut(data_shards: Vec<Bytes>, block_size: usize) -> Vec<Bytes> {
    let mut left = block_size;
    let mut parts = Vec::with_capacity(data_shards.len());
    for shard in data_shards {
        if left == 0 {
            break;
        }
        let take = left.min(shard.len());
        parts.push(shard.slice(..take));
        left -= take;
    }
    parts
}

/// The first `block_size` bytes of consecutive `parts` (a block as
/// [`Codec::decode_parts`] gives it) as one buffer; no copy for a single
/// piece.
pub fn join(parts: &[Bytes], block_size: usize) -> Result<Bytes> {
    if let [only] = parts {
        return Ok(only.slice(..block_size.min(only.len())));
    }
    let mut out = PageBuf::with_capacity(block_size).map_err(|e| Error::Memory(e.to_string()))?;
    for part in parts {
        out.extend_from_slice(part);
        if out.is_full() {
            break;
        }
    }
    Ok(out.freeze())
}
