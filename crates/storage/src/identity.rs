//! Preparing data directories: layout, lock and the node id they belong to.

use crate::disk;
use crate::layout::{SHARDS_DIR, TMP_SUFFIX};
use crate::{Error, Result};
use rustix::fs::FlockOperation;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use tessera_types::NodeId;

const NODE_ID_FILE: &str = "node.id";
const LOCK_FILE: &str = "LOCK";

/// Creates `dir/shards/00..ff` if needed (durably) and takes the directory's
/// exclusive lock, held for as long as the returned file is open.
pub(crate) fn prepare_dir(dir: &Path) -> Result<File> {
    let shards = dir.join(SHARDS_DIR);
    fs::create_dir_all(&shards).map_err(|e| Error::io("creating", &shards, e))?;
    let lock_path = dir.join(LOCK_FILE);
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::io("opening", &lock_path, e))?;
    match rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(rustix::io::Errno::WOULDBLOCK) => return Err(Error::Locked(dir.to_path_buf())),
        Err(e) => return Err(Error::io("locking", &lock_path, e.into())),
    }
    for b in 0..=255u8 {
        let sub = shards.join(format!("{b:02x}"));
        match fs::create_dir(&sub) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("creating", &sub, e)),
        }
    }
    disk::sync_dir(&shards).map_err(|e| Error::io("syncing", &shards, e))?;
    disk::sync_dir(dir).map_err(|e| Error::io("syncing", dir, e))?;
    Ok(lock)
}

fn read_node_id(dir: &Path) -> Result<Option<NodeId>> {
    let path = dir.join(NODE_ID_FILE);
    let Some(raw) = disk::read_if_exists(&path).map_err(|e| Error::io("reading", &path, e))? else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(&raw);
    let id = text
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("{} does not hold a node id", path.display())))?;
    Ok(Some(id))
}

/// The node id recorded in `dirs`, or a new random one; afterwards every
/// directory records it durably. Fails if directories record different ids.
pub(crate) fn resolve_node_id(dirs: &[PathBuf]) -> Result<NodeId> {
    let mut found: Vec<(&PathBuf, Option<NodeId>)> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        found.push((dir, read_node_id(dir)?));
    }
    let existing = found.iter().find_map(|(_, id)| *id);
    let id = match existing {
        Some(id) => id,
        None => loop {
            // 0 is avoided so that it can never be mistaken for "unset".
            let id: NodeId = rand::random();
            if id != 0 {
                tracing::info!(node_id = id, "created new node id");
                break id;
            }
        },
    };
    for (dir, recorded) in found {
        match recorded {
            Some(other) if other != id => {
                return Err(Error::ForeignDirectory {
                    dir: dir.clone(),
                    found: other,
                    expected: id,
                })
            }
            Some(_) => {}
            None => {
                let content = format!("{id}\n");
                disk::write_atomic(dir, NODE_ID_FILE, &[content.as_bytes()], None)
                    .map_err(|e| Error::io("writing node id in", dir, e))?;
            }
        }
    }
    // Tidy stray temporary node-id files of a crashed start (harmless).
    let prefix = format!(".{NODE_ID_FILE}.");
    for entries in dirs.iter().filter_map(|d| fs::read_dir(d).ok()) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(&prefix) && name.ends_with(TMP_SUFFIX) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
    Ok(id)
}
