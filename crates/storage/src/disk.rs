//! Blocking filesystem primitives: durable atomic writes and start-up scans.
//! Only called from blocking tasks.

use crate::layout::{self, TMP_SUFFIX};
use bytes::Bytes;
use rustix::fs::OFlags;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use tessera_erasure::PageBuf;

/// Makes temporary names unique among concurrent writes of this process
/// (the directory lock keeps other processes out).
static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Shards at least this long are written with `O_DIRECT` (see
/// [`write_shard_atomic`]); shorter ones cost more in system calls than the
/// page-cache copy they would save.
const DIRECT_MIN: usize = 64 * 1024;
/// File offsets, lengths and memory of direct writes are multiples of this.
const DIRECT_ALIGN: usize = 4096;

/// Writes `parts` to `dir/name` atomically and durably (see [`install`]).
pub(crate) fn write_atomic(
    dir: &Path,
    name: &str,
    parts: &[&[u8]],
    install_lock: Option<&Mutex<()>>,
) -> io::Result<Option<u64>> {
    install(dir, name, install_lock, |tmp| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(tmp)?;
        for part in parts {
            f.write_all(part)?;
        }
        f.sync_data()
    })
}

/// Writes a shard file, `data` then `trailer`, to `dir/name` atomically and
/// durably (see [`install`]).
///
/// The whole 4 KiB blocks of `data` go to the disk with `O_DIRECT`, from
/// `data` itself if it is page-aligned (every shard the erasure coder cuts
/// from a block of whole pages) or else through an aligned copy: a write
/// through the page cache costs the kernel a copy into freshly allocated
/// cache pages, which measured as the largest single cost of a large PUT
/// (see docs/benchmarks.md). The last partial block and the trailer go
/// through the page cache, and `fsync` makes all of it durable. Where the
/// filesystem refuses `O_DIRECT` (tmpfs, say), `direct` is cleared and the
/// shards of that directory are written through the page cache.
pub(crate) fn write_shard_atomic(
    dir: &Path,
    name: &str,
    data: &[u8],
    trailer: &[u8],
    install_lock: Option<&Mutex<()>>,
    direct: &AtomicBool,
) -> io::Result<Option<u64>> {
    install(dir, name, install_lock, |tmp| {
        let aligned = data.len() / DIRECT_ALIGN * DIRECT_ALIGN;
        let f = if data.len() >= DIRECT_MIN && direct.load(Ordering::Relaxed) {
            match write_direct(tmp, &data[..aligned]) {
                Ok(f) => Some(f),
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                    direct.store(false, Ordering::Relaxed);
                    tracing::warn!(dir = %dir.display(), "the filesystem refuses O_DIRECT; shards are written through the page cache");
                    let _ = fs::remove_file(tmp);
                    None
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let (f, at) = match f {
            Some(f) => (f, aligned),
            None => (
                OpenOptions::new().write(true).create_new(true).open(tmp)?,
                0,
            ),
        };
        f.write_all_at(&data[at..], at as u64)?;
        f.write_all_at(trailer, data.len() as u64)?;
        f.sync_data()
    })
}

/// Creates `tmp` with `O_DIRECT`, writes `aligned` (a multiple of
/// [`DIRECT_ALIGN`] bytes) at its start, and turns `O_DIRECT` off for the
/// writes that follow.
fn write_direct(tmp: &Path, aligned: &[u8]) -> io::Result<File> {
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(OFlags::DIRECT.bits() as i32)
        .open(tmp)?;
    if aligned.as_ptr().align_offset(DIRECT_ALIGN) == 0 {
        f.write_all_at(aligned, 0)?;
    } else {
        // Through a page-aligned buffer, a megabyte at a time.
        let chunk = aligned.len().min(1 << 20);
        let mut bounce = PageBuf::reused(chunk)?;
        for (i, part) in aligned.chunks(chunk).enumerate() {
            let buf = &mut bounce.as_mut_slice()[..part.len()];
            buf.copy_from_slice(part);
            f.write_all_at(buf, (i * chunk) as u64)?;
        }
    }
    let flags = rustix::fs::fcntl_getfl(&f)?;
    rustix::fs::fcntl_setfl(&f, flags - OFlags::DIRECT)?;
    Ok(f)
}

/// Installs a file at `dir/name` atomically and durably: `write` creates
/// and fills a fresh temporary file in `dir` (and `fsync`s it), which is
/// renamed over `name`, and `dir` is `fsync`ed. Returns the size of the
/// file it replaced, if any.
///
/// `install_lock`, if given, is held while the previous file is looked at
/// and replaced, so that concurrent writers of one name (holding the same
/// lock) each see the file the other installed.
fn install(
    dir: &Path,
    name: &str,
    install_lock: Option<&Mutex<()>>,
    write: impl FnOnce(&Path) -> io::Result<()>,
) -> io::Result<Option<u64>> {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{n}{TMP_SUFFIX}"));
    let target = dir.join(name);
    let result = (|| {
        write(&tmp)?;
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

    #[test]
    fn shard_writes_direct_or_not_hold_data_then_trailer() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..DIRECT_MIN * 2 + 4096 + 11).map(|i| i as u8).collect();
        let mut pages = PageBuf::with_capacity(data.len()).unwrap();
        pages.extend_from_slice(&data);
        let aligned = pages.freeze();
        // Page-aligned, at an odd address, short, and with direct writes off.
        let cases: [(&[u8], bool); 4] = [
            (&aligned, true),
            (&data[1..], true),
            (&data[..DIRECT_MIN - 1], true),
            (&data, false),
        ];
        for (i, (bytes, direct)) in cases.into_iter().enumerate() {
            let name = format!("s{i}");
            let flag = AtomicBool::new(direct);
            let previous = write_shard_atomic(dir.path(), &name, bytes, b"TRAILER", None, &flag);
            assert_eq!(previous.unwrap(), None, "case {i}");
            let file = fs::read(dir.path().join(&name)).unwrap();
            assert_eq!(&file[..bytes.len()], bytes, "case {i}");
            assert_eq!(&file[bytes.len()..], b"TRAILER", "case {i}");
        }
        // Rewriting reports the size replaced.
        let flag = AtomicBool::new(true);
        let previous = write_shard_atomic(dir.path(), "s0", b"x", b"", None, &flag).unwrap();
        assert_eq!(previous, Some(aligned.len() as u64 + 7));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
    }
}
