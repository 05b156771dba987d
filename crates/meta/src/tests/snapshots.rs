//! Snapshots carry every keyspace, the block index and repair queue
//! included; a database or snapshot without the index gets it rebuilt.

use super::blocks::{degraded, index, lookup, queue, repaired, with_blocks};
use super::*;
use crate::store::db::{self, CF_BLOCKS, CF_REPAIR, CF_SM, DATA_CFS};
use crate::store::index::{self as block_index, KEY_BLOCK_INDEX};
use crate::store::{snapshot_build, snapshot_install, without_keyspaces};
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

#[test]
fn snapshot_round_trip_includes_index_and_queue() {
    let src = populated();
    let snap = snapshot_build(&src.db).unwrap();
    let mut dst = Harness::new();
    dst.bucket("stale");
    dst.put("stale", "x", with_blocks("e", vec![degraded(9)]));
    snapshot_install(&dst.db, &snap.meta, snap.data.to_vec()).unwrap();

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
    let snap = snapshot_build(&src.db).unwrap();
    let legacy = without_keyspaces(&snap.data, &[CF_BLOCKS, CF_REPAIR]).unwrap();
    let dst = Harness::new();
    snapshot_install(&dst.db, &snap.meta, legacy).unwrap();
    assert_eq!(dump(&dst.db), dump(&src.db));
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
