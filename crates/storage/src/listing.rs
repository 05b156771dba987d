//! Listing the shards of a node in (block id, index) order, a page at a
//! time. Shard files are named `<block hex>.<index>` in fan-out directories
//! named after the first byte of the block id, so a page reads the fan-out
//! directories from the one holding `after` on (in every data directory),
//! sorts each one's names, and stats only the files it returns.

use crate::layout::{self, FRAME_LEN, SHARDS_DIR};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use tessera_types::ShardId;

/// Most shards one page holds.
pub const MAX_PAGE: usize = 10_000;

/// A shard as the node lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: ShardId,
    /// Bytes of shard data (the file without its header).
    pub len: u64,
    /// When the shard's file was last written, Unix milliseconds.
    pub modified_ms: i64,
}

/// A file's modification time in Unix milliseconds (0 if before 1970).
pub(crate) fn modified_ms(meta: &fs::Metadata) -> io::Result<i64> {
    Ok(match meta.modified()?.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    })
}

/// The shard names in one fan-out directory of every data directory that
/// sort after `after`, sorted, each shard once.
fn fanout_entries(
    dirs: &[PathBuf],
    fanout: u8,
    after: Option<ShardId>,
) -> io::Result<Vec<(ShardId, PathBuf)>> {
    let mut names = Vec::new();
    for dir in dirs {
        let path = dir.join(SHARDS_DIR).join(format!("{fanout:02x}"));
        let entries = match fs::read_dir(&path) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Some(id) = entry.file_name().to_str().and_then(layout::parse_file_name) else {
                continue; // temporary files of writes in progress
            };
            if after.is_none_or(|a| id > a) {
                names.push((id, entry.path()));
            }
        }
    }
    names.sort_unstable_by_key(|(id, _)| *id);
    // A shard present in two data directories is listed once.
    names.dedup_by_key(|(id, _)| *id);
    Ok(names)
}

/// Up to `limit` (at most [`MAX_PAGE`]) shards after `after`, and whether
/// the page stopped at the limit. Blocking.
pub(crate) fn list(
    dirs: &[PathBuf],
    after: Option<ShardId>,
    limit: usize,
) -> io::Result<(Vec<ShardInfo>, bool)> {
    let limit = if limit == 0 {
        MAX_PAGE
    } else {
        limit.min(MAX_PAGE)
    };
    let first = after.map_or(0, |a| a.block.0[0]);
    let mut out = Vec::new();
    for fanout in first..=u8::MAX {
        for (id, path) in fanout_entries(dirs, fanout, after)? {
            if out.len() >= limit {
                return Ok((out, true));
            }
            if let Some(info) = stat(id, &path)? {
                out.push(info);
            }
        }
    }
    Ok((out, false))
}

/// The listing entry of the shard file at `path`; `None` if it was deleted
/// since its directory was read.
fn stat(id: ShardId, path: &Path) -> io::Result<Option<ShardInfo>> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(ShardInfo {
        id,
        len: meta.len().saturating_sub(FRAME_LEN as u64),
        modified_ms: modified_ms(&meta)?,
    }))
}

/// Whether the file at `path` was last modified at or after `cutoff_ms`
/// (missing files are not).
pub(crate) fn modified_since(path: &Path, cutoff_ms: i64) -> io::Result<bool> {
    match fs::metadata(path) {
        Ok(m) => Ok(modified_ms(&m)? >= cutoff_ms),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Now, in Unix milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_types::BlockId;

    fn shard(first: u8, rest: u8, index: u8) -> ShardId {
        let mut b = [rest; 16];
        b[0] = first;
        ShardId {
            block: BlockId(b),
            index,
        }
    }

    fn touch(dir: &Path, id: ShardId, data_len: usize) {
        let fan = dir.join(SHARDS_DIR).join(layout::fanout_dir(&id));
        fs::create_dir_all(&fan).unwrap();
        fs::write(
            fan.join(layout::file_name(&id)),
            vec![0; FRAME_LEN + data_len],
        )
        .unwrap();
    }

    #[test]
    fn pages_in_shard_order_across_directories() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let dirs = vec![a.path().to_path_buf(), b.path().to_path_buf()];
        let ids = [
            shard(0x00, 1, 0),
            shard(0x00, 1, 1),
            shard(0x00, 2, 0),
            shard(0x7f, 0, 2),
            shard(0xff, 9, 0),
        ];
        for (i, id) in ids.iter().enumerate() {
            touch(&dirs[i % 2], *id, i);
        }
        // The same shard in both directories is listed once; temporary
        // files and stray names are not shards.
        touch(&dirs[1], ids[0], 0);
        let fan = a.path().join(SHARDS_DIR).join("00");
        fs::write(fan.join(".x.1.tmp"), b"").unwrap();
        fs::write(fan.join("junk"), b"").unwrap();

        let before = now_ms();
        let (all, more) = list(&dirs, None, 0).unwrap();
        assert!(!more);
        assert_eq!(all.iter().map(|s| s.id).collect::<Vec<_>>(), ids);
        assert_eq!(all[3].len, 3);
        assert!(all.iter().all(|s| s.modified_ms >= before - 5_000));

        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let (page, more) = list(&dirs, after, 2).unwrap();
            assert!(page.len() <= 2);
            after = page.last().map(|s| s.id);
            paged.extend(page);
            if !more {
                break;
            }
        }
        assert_eq!(paged, all);
        let (rest, _) = list(&dirs, Some(ids[3]), 10).unwrap();
        assert_eq!(rest.iter().map(|s| s.id).collect::<Vec<_>>(), [ids[4]]);
    }

    #[test]
    fn modification_times_compare_with_a_cutoff() {
        let d = tempfile::tempdir().unwrap();
        let id = shard(1, 1, 0);
        touch(d.path(), id, 1);
        let path = d.path().join(layout::relative_path(&id));
        assert!(modified_since(&path, now_ms() - 60_000).unwrap());
        assert!(!modified_since(&path, now_ms() + 60_000).unwrap());
        assert!(!modified_since(&d.path().join("missing"), 0).unwrap());
    }
}
