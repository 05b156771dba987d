//! Shard file names and the shard file header (see the crate docs).

use std::path::PathBuf;
use tessera_types::{BlockId, ShardId};

/// Marks a shard file: the last four bytes of a format 2 file, the first
/// four of a format 1 file.
pub const MAGIC: [u8; 4] = *b"TSHD";
/// Shard file format written by this release: the data, then a trailer.
pub const FORMAT_VERSION: u8 = 2;
/// Shard file format of earlier releases, still read: a header, then the
/// data.
pub const FORMAT_V1: u8 = 1;
/// Bytes a shard file adds to its data: the trailer of format 2, or the
/// header of format 1 (the same fields, in another order).
pub const FRAME_LEN: usize = 4 + 1 + 8 + 32;
/// Sub-directory of a data directory holding the shard files.
pub const SHARDS_DIR: &str = "shards";
/// Suffix of temporary files of writes in progress.
pub const TMP_SUFFIX: &str = ".tmp";

/// The trailer that follows `data_len` bytes hashing to `blake3` in a shard
/// file: the hash, the length (little-endian `u64`), the format version and
/// the magic. Behind the data, the data starts at offset 0, where a direct
/// write can put it without copying it through the page cache.
pub fn encode_trailer(data_len: u64, blake3: &[u8; 32]) -> [u8; FRAME_LEN] {
    let mut t = [0u8; FRAME_LEN];
    t[..32].copy_from_slice(blake3);
    t[32..40].copy_from_slice(&data_len.to_le_bytes());
    t[40] = FORMAT_VERSION;
    t[41..].copy_from_slice(&MAGIC);
    t
}

/// The header of a format 1 shard file, as earlier releases wrote it before
/// the data: magic, version, length, hash.
pub fn encode_header_v1(data_len: u64, blake3: &[u8; 32]) -> [u8; FRAME_LEN] {
    let mut h = [0u8; FRAME_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4] = FORMAT_V1;
    h[5..13].copy_from_slice(&data_len.to_le_bytes());
    h[13..].copy_from_slice(blake3);
    h
}

/// How a shard file is taken apart: into its data and recorded hash, or a
/// human-readable reason why it is damaged.
pub type Decode = fn(bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String>;

/// Splits a whole shard file into its data and recorded hash, checking the
/// frame (magic, version, length) and the blake3 hash of the data. The
/// error is a human-readable reason.
///
/// A file is read as format 2 (trailer) and, failing that, as format 1
/// (header). Data of either format can end or begin with bytes that look
/// like the other's frame, so a file is accepted if either reading of it
/// holds its hash: a frame that is not the file's own cannot hash right.
pub fn decode_file(file: bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String> {
    let hashes = |(data, hash): &(bytes::Bytes, [u8; 32])| blake3::hash(data).as_bytes() == hash;
    let trailer = split_trailer(&file);
    if let Ok(found) = &trailer {
        if hashes(found) {
            return trailer;
        }
    }
    let header = split_header(&file);
    if let Ok(found) = &header {
        if hashes(found) {
            return header;
        }
    }
    if trailer.is_ok() || header.is_ok() {
        return Err("blake3 mismatch".into());
    }
    Err(frame_error(&file, trailer, header))
}

/// [`decode_file`] without hashing the data: for a reader that checks the
/// hash itself. A file that is framed as format 2 is read as such (every
/// file this release writes).
pub fn split_file(file: bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String> {
    let trailer = split_trailer(&file);
    if trailer.is_ok() {
        return trailer;
    }
    let header = split_header(&file);
    if header.is_ok() {
        return header;
    }
    Err(frame_error(&file, trailer, header))
}

/// The reason a file is neither format: that of the format whose magic it
/// carries.
fn frame_error(
    file: &[u8],
    trailer: Result<(bytes::Bytes, [u8; 32]), String>,
    header: Result<(bytes::Bytes, [u8; 32]), String>,
) -> String {
    let reason = |r: Result<_, String>| r.err().unwrap_or_default();
    if file.ends_with(&MAGIC) {
        reason(trailer)
    } else if file.starts_with(&MAGIC) {
        reason(header)
    } else if file.len() < FRAME_LEN {
        format!("file of {} bytes is shorter than the frame", file.len())
    } else {
        "bad magic".into()
    }
}

fn length_matches(field: &[u8], actual: usize) -> Result<(), String> {
    let mut len = [0u8; 8];
    len.copy_from_slice(field);
    let len = u64::from_le_bytes(len);
    if len != actual as u64 {
        return Err(format!("frame says {len} data bytes, file has {actual}"));
    }
    Ok(())
}

/// Format 2: `data | blake3 (32) | length (8) | version (1) | magic (4)`.
fn split_trailer(file: &bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String> {
    let Some(data_len) = file.len().checked_sub(FRAME_LEN) else {
        return Err(format!(
            "file of {} bytes is shorter than the trailer",
            file.len()
        ));
    };
    let t = &file[data_len..];
    if t[41..] != MAGIC {
        return Err("bad magic".into());
    }
    if t[40] != FORMAT_VERSION {
        return Err(format!("unknown format version {}", t[40]));
    }
    length_matches(&t[32..40], data_len)?;
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&t[..32]);
    Ok((file.slice(..data_len), hash))
}

/// Format 1: `magic (4) | version (1) | length (8) | blake3 (32) | data`.
fn split_header(file: &bytes::Bytes) -> Result<(bytes::Bytes, [u8; 32]), String> {
    if file.len() < FRAME_LEN {
        return Err(format!(
            "file of {} bytes is shorter than the header",
            file.len()
        ));
    }
    if file[..4] != MAGIC {
        return Err("bad magic".into());
    }
    if file[4] != FORMAT_V1 {
        return Err(format!("unknown format version {}", file[4]));
    }
    length_matches(&file[5..13], file.len() - FRAME_LEN)?;
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&file[13..FRAME_LEN]);
    Ok((file.slice(FRAME_LEN..), hash))
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
        f.extend_from_slice(data);
        f.extend_from_slice(&encode_trailer(
            data.len() as u64,
            blake3::hash(data).as_bytes(),
        ));
        f
    }

    fn file_v1(data: &[u8]) -> BytesMut {
        let mut f = BytesMut::new();
        f.extend_from_slice(&encode_header_v1(
            data.len() as u64,
            blake3::hash(data).as_bytes(),
        ));
        f.extend_from_slice(data);
        f
    }

    #[test]
    fn trailer_round_trip_and_checks() {
        let (data, hash) = decode_file(file(b"hello").freeze()).unwrap();
        assert_eq!(&data[..], b"hello");
        assert_eq!(&hash, blake3::hash(b"hello").as_bytes());
        assert!(decode_file(file(b"").freeze()).is_ok());
        assert_eq!(
            &split_file(file(b"hello").freeze()).unwrap().0[..],
            b"hello"
        );

        let last = FRAME_LEN + 5 - 1;
        let mut bad = file(b"hello");
        bad[last] = b'X';
        assert!(decode_file(bad.freeze()).unwrap_err().contains("magic"));
        let mut bad = file(b"hello");
        bad[last - 4] = 3;
        assert!(decode_file(bad.freeze()).unwrap_err().contains("version"));
        let mut bad = file(b"hello");
        bad[5 + 32] ^= 1;
        assert!(decode_file(bad.freeze())
            .unwrap_err()
            .contains("frame says"));
        let mut bad = file(b"hello");
        bad[0] ^= 1;
        assert!(decode_file(bad.freeze()).unwrap_err().contains("blake3"));
        // Cut anywhere, the trailer is gone.
        let mut bad = file(b"hello");
        bad.truncate(FRAME_LEN + 2);
        assert!(decode_file(bad.freeze()).is_err());
        assert!(decode_file(Bytes::from_static(b"TSHD")).is_err());
    }

    #[test]
    fn format_1_is_still_read() {
        let (data, hash) = decode_file(file_v1(b"hello").freeze()).unwrap();
        assert_eq!(&data[..], b"hello");
        assert_eq!(&hash, blake3::hash(b"hello").as_bytes());
        assert_eq!(&split_file(file_v1(b"hi").freeze()).unwrap().0[..], b"hi");

        let mut bad = file_v1(b"hello");
        bad[4] = 7;
        assert!(decode_file(bad.freeze()).unwrap_err().contains("version"));
        let mut bad = file_v1(b"hello");
        bad.truncate(FRAME_LEN + 2);
        assert!(decode_file(bad.freeze())
            .unwrap_err()
            .contains("frame says"));
        let mut bad = file_v1(b"hello");
        bad[FRAME_LEN] ^= 1;
        assert!(decode_file(bad.freeze()).unwrap_err().contains("blake3"));
    }

    #[test]
    fn data_that_looks_like_the_other_frame_is_read_by_its_own() {
        // Format 2 data that starts like a format 1 header of the right
        // length, and format 1 data that ends like a format 2 trailer.
        let mut data = encode_header_v1(5 + FRAME_LEN as u64, &[0; 32]).to_vec();
        data.extend_from_slice(b"hello");
        let f = file(&data).freeze();
        assert_eq!(decode_file(f).unwrap().0, data);

        let mut data = b"hello".to_vec();
        data.extend_from_slice(&encode_trailer(5 + FRAME_LEN as u64, &[0; 32]));
        let f = file_v1(&data).freeze();
        assert_eq!(decode_file(f).unwrap().0, data);
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
