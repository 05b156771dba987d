//! Shard file names and the shard file header (see the crate docs).

use std::path::PathBuf;
use tessera_types::{BlockId, ShardId};

/// First bytes of every shard file.
pub const MAGIC: [u8; 4] = *b"TSHD";
/// Shard file format written by this release.
pub const FORMAT_VERSION: u8 = 1;
/// Size of the header before the shard's data.
pub const HEADER_LEN: usize = 4 + 1 + 8 + 32;
/// Sub-directory of a data directory holding the shard files.
pub const SHARDS_DIR: &str = "shards";
/// Suffix of temporary files of writes in progress.
pub const TMP_SUFFIX: &str = ".tmp";

/// The header of a shard file holding `data_len` bytes hashing to `blake3`.
pub fn encode_header(data_len: u64, blake3: &[u8; 32]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4] = FORMAT_VERSION;
    h[5..13].copy_from_slice(&data_len.to_le_bytes());
    h[13..].copy_from_slice(blake3);
    h
}

/// How a shard file is taken apart: into its data and recorded hash, or a
/// human-readable reason why it is damaged.
pub type Decode = fn(bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String>;

/// Splits a whole shard file into its data and recorded hash, checking the
/// magic, version, length and the blake3 hash of the data. The error is a
/// human-readable reason.
pub fn decode_file(file: bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String> {
    let (data, hash) = split_file(file)?;
    if blake3::hash(&data).as_bytes() != &hash {
        return Err("blake3 mismatch".into());
    }
    Ok((data, hash))
}

/// [`decode_file`] without hashing the data: for a reader that checks the
/// hash itself.
pub fn split_file(file: bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String> {
    if file.len() < HEADER_LEN {
        return Err(format!(
            "file of {} bytes is shorter than the header",
            file.len()
        ));
    }
    if file[..4] != MAGIC {
        return Err("bad magic".into());
    }
    if file[4] != FORMAT_VERSION {
        return Err(format!("unknown format version {}", file[4]));
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&file[5..13]);
    let len = u64::from_le_bytes(len);
    let actual = (file.len() - HEADER_LEN) as u64;
    if len != actual {
        return Err(format!("header says {len} data bytes, file has {actual}"));
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&file[13..HEADER_LEN]);
    Ok((file.slice(HEADER_LEN..), hash))
}

/// The file name of a shard: `<block hex>.<index>`.
pub fn file_name(id: &ShardId) -> String {
    format!("{}.{}", id.block.to_hex(), id.index)
}

/// Parses a [`file_name`] back into a shard id.
pub fn parse_file_name(name: &str) -> Option<ShardId> {
    let (block, index) = name.split_once('.')?;
    Some(ShardId {
        block: BlockId::from_hex(block)?,
        index: index.parse().ok()?,
    })
}

/// The name of the fan-out directory of a shard: the first byte of its
/// block id in hex.
pub fn fanout_dir(id: &ShardId) -> String {
    format!("{:02x}", id.block.0[0])
}

/// A shard's path relative to a data directory.
pub fn relative_path(id: &ShardId) -> PathBuf {
    [SHARDS_DIR, &fanout_dir(id), &file_name(id)]
        .iter()
        .collect()
}

/// The data directory (index into the configured list of `dirs`) a shard is
/// written to: a stable hash of the shard id.
pub fn dir_index(id: &ShardId, dirs: usize) -> usize {
    if dirs <= 1 {
        return 0;
    }
    let mut h = blake3::Hasher::new();
    h.update(&id.block.0);
    h.update(&[id.index]);
    let mut first = [0u8; 8];
    first.copy_from_slice(&h.finalize().as_bytes()[..8]);
    (u64::from_le_bytes(first) % dirs as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};

    fn file(data: &[u8]) -> BytesMut {
        let mut f = BytesMut::new();
        f.extend_from_slice(&encode_header(
            data.len() as u64,
            blake3::hash(data).as_bytes(),
        ));
        f.extend_from_slice(data);
        f
    }

    #[test]
    fn header_round_trip_and_checks() {
        let (data, hash) = decode_file(file(b"hello").freeze()).unwrap();
        assert_eq!(&data[..], b"hello");
        assert_eq!(&hash, blake3::hash(b"hello").as_bytes());
        assert!(decode_file(file(b"").freeze()).is_ok());

        let mut bad = file(b"hello");
        bad[0] = b'X';
        assert!(decode_file(bad.freeze()).unwrap_err().contains("magic"));
        let mut bad = file(b"hello");
        bad[4] = 2;
        assert!(decode_file(bad.freeze()).unwrap_err().contains("version"));
        let mut bad = file(b"hello");
        bad.truncate(HEADER_LEN + 2);
        assert!(decode_file(bad.freeze())
            .unwrap_err()
            .contains("header says"));
        let mut bad = file(b"hello");
        bad[HEADER_LEN] ^= 1;
        assert!(decode_file(bad.freeze()).unwrap_err().contains("blake3"));
        assert!(decode_file(Bytes::from_static(b"TSHD")).is_err());
    }

    #[test]
    fn names_round_trip() {
        let id = ShardId {
            block: BlockId::random(),
            index: 17,
        };
        assert_eq!(parse_file_name(&file_name(&id)), Some(id));
        assert_eq!(parse_file_name("zz.1"), None);
        assert_eq!(parse_file_name(&format!("{}.300", id.block)), None);
        let rel = relative_path(&id);
        assert!(rel.starts_with(SHARDS_DIR));
        assert!(rel.to_string_lossy().contains(&fanout_dir(&id)));
    }

    #[test]
    fn dir_index_is_stable_and_spread() {
        let mut hits = [0usize; 3];
        for _ in 0..300 {
            let id = ShardId {
                block: BlockId::random(),
                index: 0,
            };
            let i = dir_index(&id, 3);
            assert_eq!(i, dir_index(&id, 3));
            hits[i] += 1;
        }
        assert!(hits.iter().all(|&h| h > 50), "{hits:?}");
        assert_eq!(
            dir_index(
                &ShardId {
                    block: BlockId([0; 16]),
                    index: 0
                },
                1
            ),
            0
        );
    }
}
