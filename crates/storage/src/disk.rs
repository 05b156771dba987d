//! Blocking filesystem primitives: durable atomic writes and start-up scans.
//! Only called from blocking tasks.

use crate::layout::{self, TMP_SUFFIX};
use bytes::Bytes;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tessera_erasure::PageBuf;

/// Makes temporary names unique among concurrent writes of this process
/// (the directory lock keeps other processes out).
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `parts` to `dir/name` atomically and durably: a fresh temporary
/// file in `dir` is written and `fsync`ed, renamed over `name`, and `dir` is
/// `fsync`ed. Returns the size of the file it replaced, if any.
///
/// `install_lock`, if given, is held while the previous file is looked at
/// and replaced, so that concurrent writers of one name (holding the same
/// lock) each see the file the other installed.
pub(crate) fn write_atomic(
    dir: &Path,
    name: &str,
    parts: &[&[u8]],
    install_lock: Option<&Mutex<()>>,
) -> io::Result<Option<u64>> {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{n}{TMP_SUFFIX}"));
    let target = dir.join(name);
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        for part in parts {
            f.write_all(part)?;
        }
        f.sync_data()?;
        drop(f);
        let guard = install_lock.map(|l| l.lock().unwrap_or_else(|p| p.into_inner()));
        let previous = match fs::metadata(&target) {
            Ok(m) => Some(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        fs::rename(&tmp, &target)?;
        drop(guard);
        sync_dir(dir)?;
        Ok(previous)
    })();
    if result.is_err() {
        // Best effort: a left-over temporary file is also removed at start.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `fsync`s a directory, making the creation, rename or removal of its
/// entries durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads a whole file; `None` if it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> io::Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads a whole shard file into pages of its own (see
/// `tessera_erasure::PageBuf`: megabyte buffers taken from the allocator
/// would stay in its free lists); `None` if it does not exist.
pub(crate) fn read_shard_file(path: &Path) -> io::Result<Option<Bytes>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
    // read_exact fills all of it, or the buffer is dropped unread.
    let mut buf = PageBuf::reused(len)?;
    file.read_exact(buf.as_mut_slice())?;
    Ok(Some(buf.freeze()))
}

/// Removes a file, returning its size; `None` if it did not exist.
pub(crate) fn remove_if_exists(path: &Path) -> io::Result<Option<u64>> {
    let len = match fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    match fs::remove_file(path) {
        Ok(()) => Ok(Some(len)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Shards found in a data directory.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Usage {
    pub shards: u64,
    pub bytes: u64,
}

/// Counts the shard files under `shards_dir` (`shards/<xx>/...`) and removes
/// temporary files left by writes interrupted by a crash.
pub(crate) fn scan(shards_dir: &Path) -> io::Result<Usage> {
    let mut usage = Usage::default();
    for fanout in fs::read_dir(shards_dir)? {
        let fanout = fanout?;
        if !fanout.file_type()?.is_dir() {
            continue;
        }
        for entry in fs::read_dir(fanout.path())? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(TMP_SUFFIX) {
                tracing::info!(path = %entry.path().display(), "removing interrupted write");
                remove_if_exists(&entry.path())?;
            } else if layout::parse_file_name(name).is_some() {
                usage.shards += 1;
                usage.bytes += entry.metadata()?.len();
            }
        }
    }
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_reports_previous_size() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            write_atomic(dir.path(), "f", &[b"abc", b"de"], None).unwrap(),
            None
        );
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"abcde");
        assert_eq!(
            write_atomic(dir.path(), "f", &[b"x"], Some(&Mutex::new(()))).unwrap(),
            Some(5)
        );
        assert_eq!(fs::read(dir.path().join("f")).unwrap(), b"x");
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(remove_if_exists(&dir.path().join("f")).unwrap(), Some(1));
        assert_eq!(remove_if_exists(&dir.path().join("f")).unwrap(), None);
        assert_eq!(read_if_exists(&dir.path().join("f")).unwrap(), None);
    }
}
