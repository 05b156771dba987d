//! Snapshots carry every keyspace, the block index and repair queue
//! included; a database or snapshot without the index gets it rebuilt.

use super::blocks::{degraded, index, lookup, queue, repaired, with_blocks};
use super::*;
use crate::store::db::{self, CF_BLOCKS, CF_REPAIR, CF_SM, DATA_CFS};
use crate::store::index::{self as block_index, KEY_BLOCK_INDEX};
use crate::store::{snapshot_build_without, Snapshots, StoredSnapshot, KEY_INSTALLING};
use tessera_types::{NodeInfo, NodeState};

type Dump = Vec<(String, Vec<(Vec<u8>, Vec<u8>)>)>;

/// Every entry of every data keyspace.
fn dump(db: &DB) -> Dump {
    DATA_CFS
        .iter()
        .map(|name| {
            let mut entries = Vec::new();
            let mut it = db.raw_iterator_cf(db::cf(db, name).unwrap());
            it.seek_to_first();
            while let (Some(k), Some(v)) = (it.key(), it.value()) {
                entries.push((k.to_vec(), v.to_vec()));
                it.next();
            }
            (name.to_string(), entries)
        })
        .collect()
}

/// Objects (one degraded), an upload in progress with a degraded part, a
/// node and a GC entry.
fn populated() -> Harness {
    let mut h = Harness::new();
    h.bucket("b");
    h.put("b", "k", with_blocks("e", vec![degraded(1), block(2)]));
    h.put("b", "gone", object("e", &[3]));
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "gone".into(),
        now: 1,
    });
    h.ok(Command::CreateUpload {
        upload: upload("b", "big", "u"),
    });
    h.ok(Command::PutPart {
        bucket: "b".into(),
        key: "big".into(),
        upload_id: "u".into(),
        part: PartRecord {
            segments: vec![Segment::Block(degraded(4))],
            ..part(1, "p", &[])
        },
    });
    h.ok(Command::RegisterNode {
        node: NodeInfo {
            id: 1,
            addr: "a:1".into(),
            zone: "z".into(),
            capacity_bytes: 1,
            state: NodeState::Up,
            last_heartbeat: 1,
        },
    });
    assert_eq!(queue(&h), vec![1, 4]);
    assert_eq!(h.gc().len(), 1);
    h
}

/// Copies the file of `snap` (built by `src`) to where `dst` receives one.
fn receive(src: &Harness, dst: &Harness, snap: &StoredSnapshot) -> std::path::PathBuf {
    let path = dst.snapshots.receive_path();
    std::fs::copy(src.snapshots.path(&snap.file), &path).unwrap();
    path
}

/// The snapshot files in `h`'s snapshot directory.
fn files(h: &Harness) -> Vec<String> {
    let dir = h.snapshots.dir();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn snapshot_round_trip_includes_index_and_queue() {
    let src = populated();
    let snap = src.snapshots.build().unwrap();
    let mut dst = Harness::new();
    dst.bucket("stale");
    dst.put("stale", "x", with_blocks("e", vec![degraded(9)]));
    let received = receive(&src, &dst, &snap);
    dst.snapshots.install(&snap.meta, &received).unwrap();

    assert_eq!(dump(&dst.db), dump(&src.db));
    let blocks = dump(&dst.db);
    for cf in [CF_BLOCKS, CF_REPAIR] {
        let entries = &blocks.iter().find(|(n, _)| n == cf).unwrap().1;
        assert!(!entries.is_empty(), "{cf} is in the snapshot");
    }
    assert_eq!(index(&dst), index(&src));
    assert_eq!(queue(&dst), vec![1, 4]);
    assert_eq!(lookup(&dst, &[9]), vec![None]);
    assert_eq!(dst.gc(), src.gc());
    // The installed snapshot is the current one, and the only file.
    let current = dst.snapshots.current().unwrap().unwrap();
    assert_eq!(current.meta, snap.meta);
    assert_eq!(files(&dst), vec![current.file]);

    // The installed state goes on like the original.
    dst.ok(Command::UpdateBlock {
        block: repaired(4),
        expected: Some(degraded(4).shards),
    });
    assert_eq!(queue(&dst), vec![1]);
}

#[test]
fn snapshot_without_the_index_gets_it_rebuilt() {
    let src = populated();
    let snap = snapshot_build_without(&src.snapshots, &[CF_BLOCKS, CF_REPAIR]).unwrap();
    let dst = Harness::new();
    let received = receive(&src, &dst, &snap);
    dst.snapshots.install(&snap.meta, &received).unwrap();
    assert_eq!(dump(&dst.db), dump(&src.db));
}

#[test]
fn damaged_snapshot_is_refused_and_changes_nothing() {
    let src = populated();
    let snap = src.snapshots.build().unwrap();
    let mut dst = Harness::new();
    dst.bucket("mine");
    let before = dump(&dst.db);
    for damage in [Damage::Truncate, Damage::Flip] {
        let received = receive(&src, &dst, &snap);
        let mut data = std::fs::read(&received).unwrap();
        match damage {
            Damage::Truncate => data.truncate(data.len() / 2),
            Damage::Flip => {
                let at = data.len() / 2;
                data[at] ^= 1;
            }
        }
        std::fs::write(&received, data).unwrap();
        let err = dst.snapshots.install(&snap.meta, &received).unwrap_err();
        assert!(matches!(err, crate::Error::Corrupt(_)), "{err}");
        assert_eq!(dump(&dst.db), before);
        assert!(dst.snapshots.current().unwrap().is_none());
    }
}

enum Damage {
    Truncate,
    Flip,
}

#[test]
fn interrupted_install_is_finished_on_open() {
    let src = populated();
    let snap = src.snapshots.build().unwrap();
    let mut dst = Harness::new();
    dst.bucket("half-replaced");
    // As a stop mid-install leaves it: the file in place, the marker set,
    // the data keyspaces partly written.
    std::fs::copy(
        src.snapshots.path(&snap.file),
        dst.snapshots.path(&snap.file),
    )
    .unwrap();
    db::put_synced(&dst.db, CF_SM, KEY_INSTALLING, &snap).unwrap();
    let reopened = Snapshots::open(dst.db.clone(), dst.snapshots.dir().to_path_buf()).unwrap();
    assert_eq!(dump(&dst.db), dump(&src.db));
    assert_eq!(reopened.current().unwrap().unwrap().meta, snap.meta);
    assert!(db::get::<StoredSnapshot>(&dst.db, CF_SM, KEY_INSTALLING)
        .unwrap()
        .is_none());
}

#[test]
fn a_new_snapshot_replaces_the_old_file_and_stray_files_go_on_open() {
    let mut h = populated();
    let first = h.snapshots.build().unwrap();
    h.bucket("later");
    let second = h.snapshots.build().unwrap();
    assert!(second.meta.last_log_id > first.meta.last_log_id);
    assert_eq!(files(&h), vec![second.file.clone()]);
    // A transfer that a stop left unfinished is removed on open.
    let stray = h.snapshots.receive_path();
    std::fs::write(&stray, b"partial transfer").unwrap();
    assert_eq!(files(&h).len(), 2);
    let reopened = Snapshots::open(h.db.clone(), h.snapshots.dir().to_path_buf()).unwrap();
    assert_eq!(files(&h), vec![second.file.clone()]);
    assert_eq!(reopened.current().unwrap().unwrap().meta, second.meta);
}

#[test]
fn database_without_the_index_gets_it_rebuilt() {
    let h = populated();
    let before = dump(&h.db);
    // As a release without the index left it: no index, no marker.
    for name in [CF_BLOCKS, CF_REPAIR] {
        let cf = db::cf(&h.db, name).unwrap();
        for (k, _) in &before.iter().find(|(n, _)| n == name).unwrap().1 {
            h.db.delete_cf(cf, k).unwrap();
        }
    }
    h.db.delete_cf(db::cf(&h.db, CF_SM).unwrap(), KEY_BLOCK_INDEX)
        .unwrap();
    assert!(index(&h).is_empty());
    block_index::ensure_built(&h.db).unwrap();
    assert_eq!(dump(&h.db), before);
    // Built once: a second call finds the marker and changes nothing.
    block_index::ensure_built(&h.db).unwrap();
    assert_eq!(dump(&h.db), before);
}
