//! The block index, the repair queue and the commands and queries on them.

use super::*;
use tessera_types::meta::Precondition;
use tessera_types::{BlockOwner, NodeInfo, NodeState, OwnedBlock};

pub(crate) fn id(tag: u8) -> BlockId {
    BlockId([tag; 16])
}

/// A 1+1 block whose second shard could not be written.
pub(crate) fn degraded(tag: u8) -> BlockRef {
    BlockRef {
        profile: ErasureProfile { data: 1, parity: 1 },
        shards: vec![
            Some(ShardRef {
                node: 1,
                blake3: [tag; 32],
            }),
            None,
        ],
        ..block(tag)
    }
}

/// [`degraded`] with its missing shard rebuilt on node 2.
pub(crate) fn repaired(tag: u8) -> BlockRef {
    let mut b = degraded(tag);
    b.shards[1] = Some(ShardRef {
        node: 2,
        blake3: [tag; 32],
    });
    b
}

pub(crate) fn with_blocks(etag: &str, blocks: Vec<BlockRef>) -> ObjectRecord {
    ObjectRecord {
        segments: blocks.into_iter().map(Segment::Block).collect(),
        ..object(etag, &[])
    }
}

pub(crate) fn obj(key: &str) -> BlockOwner {
    BlockOwner::Object {
        bucket: "b".into(),
        key: key.into(),
    }
}

fn part_of(key: &str, upload_id: &str, number: u32) -> BlockOwner {
    BlockOwner::Part {
        bucket: "b".into(),
        key: key.into(),
        upload_id: upload_id.into(),
        number,
    }
}

/// `GetBlocks` for `tags`.
pub(crate) fn lookup(h: &Harness, tags: &[u8]) -> Vec<Option<BlockRef>> {
    let ids = tags.iter().map(|t| id(*t)).collect();
    match h.q(Query::GetBlocks { ids }) {
        Ok(QueryReply::Blocks(b)) => b,
        other => panic!("{other:?}"),
    }
}

/// Every entry of a paged block query, two at a time.
fn pages(h: &Harness, q: impl Fn(Option<BlockId>) -> Query) -> Vec<OwnedBlock> {
    let mut out: Vec<OwnedBlock> = Vec::new();
    loop {
        let after = out.last().map(|o| o.block.id);
        let page = match h.q(q(after)) {
            Ok(QueryReply::OwnedBlocks(p)) => p,
            other => panic!("{other:?}"),
        };
        assert!(page.len() <= 2);
        let done = page.len() < 2;
        out.extend(page);
        if done {
            return out;
        }
    }
}

/// The block index as (tag, owner), in id order, through `ScanBlocks`.
pub(crate) fn index(h: &Harness) -> Vec<(u8, BlockOwner)> {
    pages(h, |after| Query::ScanBlocks { after, max: 2 })
        .into_iter()
        .map(|o| (o.block.id.0[0], o.owner))
        .collect()
}

/// The tags of the repair queue, through `ListRepairQueue`.
pub(crate) fn queue(h: &Harness) -> Vec<u8> {
    let q = pages(h, |after| Query::ListRepairQueue { after, max: 2 });
    let tags: Vec<u8> = q.iter().map(|o| o.block.id.0[0]).collect();
    assert_eq!(
        h.q(Query::RepairQueueLength),
        Ok(QueryReply::Count(tags.len() as u64))
    );
    tags
}

fn get_object(h: &Harness, key: &str) -> ObjectRecord {
    match h.q(Query::GetObject {
        bucket: "b".into(),
        key: key.into(),
    }) {
        Ok(QueryReply::Object(Some(o))) => *o,
        other => panic!("{other:?}"),
    }
}

fn put_part(h: &mut Harness, key: &str, upload_id: &str, part: PartRecord) {
    h.ok(Command::PutPart {
        bucket: "b".into(),
        key: key.into(),
        upload_id: upload_id.into(),
        part,
    });
}

fn start_upload(h: &mut Harness, key: &str, upload_id: &str) {
    h.ok(Command::CreateUpload {
        upload: upload("b", key, upload_id),
    });
}

fn update(block: BlockRef, expected: Option<Vec<Option<ShardRef>>>) -> Command {
    Command::UpdateBlock { block, expected }
}

#[test]
fn index_follows_put_overwrite_and_delete() {
    let mut h = Harness::new();
    h.bucket("b");
    h.put("b", "k", object("e1", &[1, 2]));
    assert_eq!(index(&h), vec![(1, obj("k")), (2, obj("k"))]);
    assert_eq!(
        lookup(&h, &[2, 9, 1]),
        vec![Some(block(2)), None, Some(block(1))]
    );
    // An overwrite keeping block 2 frees block 1 only.
    h.put("b", "k", object("e2", &[2, 3]));
    assert_eq!(index(&h), vec![(2, obj("k")), (3, obj("k"))]);
    // Inline data has no blocks.
    h.put("b", "k", inline_object("i"));
    assert!(index(&h).is_empty());
    h.put("b", "k", object("e3", &[4]));
    h.put("b", "k2", object("e4", &[5]));
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "k".into(),
        now: 1,
    });
    assert_eq!(index(&h), vec![(5, obj("k2"))]);
    h.ok(Command::DeleteObjects {
        bucket: "b".into(),
        keys: vec!["k2".into(), "k2".into()],
        now: 1,
    });
    assert!(index(&h).is_empty());
    // A refused command changes nothing.
    h.put("b", "k", object("e5", &[6]));
    assert_eq!(
        h.err(Command::PutObject {
            bucket: "b".into(),
            key: "k".into(),
            object: object("e6", &[7]),
            precondition: Precondition::NotExists,
            event: tessera_types::events::EventName::ObjectCreatedPut,
        }),
        MetaError::PreconditionFailed
    );
    assert_eq!(index(&h), vec![(6, obj("k"))]);
    assert_eq!(lookup(&h, &[7]), vec![None]);
}

#[test]
fn index_follows_parts_complete_and_abort() {
    let mut h = Harness::new();
    h.bucket("b");
    start_upload(&mut h, "big", "u1");
    put_part(&mut h, "big", "u1", part(1, "p1", &[1]));
    put_part(&mut h, "big", "u1", part(2, "p2", &[2]));
    put_part(&mut h, "big", "u1", part(3, "p3", &[3]));
    // Re-uploading part 2 frees its old block.
    put_part(&mut h, "big", "u1", part(2, "p2b", &[4]));
    assert_eq!(
        index(&h),
        vec![
            (1, part_of("big", "u1", 1)),
            (3, part_of("big", "u1", 3)),
            (4, part_of("big", "u1", 2)),
        ]
    );
    // Complete moves the listed parts' blocks into the object and frees
    // the part left out.
    h.ok(Command::CompleteUpload {
        bucket: "b".into(),
        key: "big".into(),
        upload_id: "u1".into(),
        parts: vec![(1, "p1".into()), (2, "p2b".into())],
        object: object("m-2", &[1, 4]),
        precondition: Precondition::None,
    });
    assert_eq!(index(&h), vec![(1, obj("big")), (4, obj("big"))]);
    assert_eq!(lookup(&h, &[3]), vec![None]);

    start_upload(&mut h, "other", "u2");
    put_part(&mut h, "other", "u2", part(1, "q", &[7]));
    assert_eq!(index(&h).len(), 3);
    h.ok(Command::AbortUpload {
        bucket: "b".into(),
        key: "other".into(),
        upload_id: "u2".into(),
    });
    assert_eq!(index(&h), vec![(1, obj("big")), (4, obj("big"))]);

    // Deleting a bucket aborts its uploads: their blocks leave the index.
    h.bucket("c");
    h.ok(Command::CreateUpload {
        upload: upload("c", "k", "u3"),
    });
    h.ok(Command::PutPart {
        bucket: "c".into(),
        key: "k".into(),
        upload_id: "u3".into(),
        part: part(1, "r", &[8]),
    });
    assert_eq!(lookup(&h, &[8]), vec![Some(block(8))]);
    h.ok(Command::DeleteBucket { name: "c".into() });
    assert_eq!(lookup(&h, &[8]), vec![None]);
}

#[test]
fn degraded_blocks_are_queued_until_repaired_or_freed() {
    let mut h = Harness::new();
    h.bucket("b");
    h.put("b", "k", with_blocks("e", vec![degraded(1), block(2)]));
    assert_eq!(queue(&h), vec![1]);

    // An update based on shards that are no longer stored is refused.
    assert!(matches!(
        h.err(update(repaired(1), Some(vec![None, None]))),
        MetaError::BlockMismatch(_)
    ));
    assert_eq!(queue(&h), vec![1]);
    assert_eq!(get_object(&h, "k").blocks().next(), Some(&degraded(1)));

    h.ok(update(repaired(1), Some(degraded(1).shards)));
    assert!(queue(&h).is_empty());
    assert_eq!(
        get_object(&h, "k").blocks().cloned().collect::<Vec<_>>(),
        vec![repaired(1), block(2)]
    );
    assert_eq!(lookup(&h, &[1]), vec![Some(repaired(1))]);
    assert!(h.gc().is_empty());

    // An update that leaves a shard missing keeps the block queued.
    h.put("b", "k2", with_blocks("e", vec![degraded(3)]));
    let mut moved = degraded(3);
    moved.shards[0] = Some(ShardRef {
        node: 5,
        blake3: [3; 32],
    });
    h.ok(update(moved.clone(), Some(degraded(3).shards)));
    assert_eq!(queue(&h), vec![3]);
    assert_eq!(lookup(&h, &[3]), vec![Some(moved)]);

    // A freed block leaves the queue.
    h.put("b", "k3", with_blocks("e", vec![degraded(4), degraded(5)]));
    assert_eq!(queue(&h), vec![3, 4, 5]);
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "k2".into(),
        now: 1,
    });
    h.put("b", "k3", with_blocks("e", vec![degraded(5)]));
    assert_eq!(queue(&h), vec![5]);
}

#[test]
fn update_block_repairs_parts_of_uploads_in_progress() {
    let mut h = Harness::new();
    h.bucket("b");
    start_upload(&mut h, "big", "u");
    let degraded_part = PartRecord {
        segments: vec![Segment::Block(degraded(1))],
        ..part(1, "p1", &[])
    };
    put_part(&mut h, "big", "u", degraded_part.clone());
    assert_eq!(queue(&h), vec![1]);
    assert_eq!(index(&h), vec![(1, part_of("big", "u", 1))]);

    h.ok(update(repaired(1), Some(degraded(1).shards)));
    assert!(queue(&h).is_empty());
    let Ok(QueryReply::Parts { parts, .. }) = h.q(Query::ListParts {
        bucket: "b".into(),
        key: "big".into(),
        upload_id: "u".into(),
        part_number_marker: 0,
        max_parts: 10,
    }) else {
        panic!()
    };
    assert_eq!(parts[0].segments, vec![Segment::Block(repaired(1))]);

    // The gateway built the object from the part as it read it before the
    // repair: the stored (repaired) copy of the block is what gets recorded.
    h.ok(Command::CompleteUpload {
        bucket: "b".into(),
        key: "big".into(),
        upload_id: "u".into(),
        parts: vec![(1, "p1".into())],
        object: with_blocks("m-1", vec![degraded(1)]),
        precondition: Precondition::None,
    });
    assert_eq!(
        get_object(&h, "big").blocks().next(),
        Some(&repaired(1)),
        "the repaired shards are kept"
    );
    assert!(queue(&h).is_empty());
    assert_eq!(index(&h), vec![(1, obj("big"))]);
    assert!(h.gc().is_empty());
}

#[test]
fn update_block_refuses_freed_and_different_blocks() {
    let mut h = Harness::new();
    h.bucket("b");
    assert_eq!(h.err(update(block(1), None)), MetaError::NoSuchBlock);
    h.put("b", "k", object("e", &[1]));
    h.ok(Command::DeleteObject {
        bucket: "b".into(),
        key: "k".into(),
        now: 1,
    });
    let gc = h.gc();
    assert_eq!(
        h.err(update(block(1), Some(block(1).shards))),
        MetaError::NoSuchBlock
    );
    assert_eq!(h.gc(), gc, "a refused update queues nothing");

    h.put("b", "k", object("e", &[2]));
    let mut other_profile = block(2);
    other_profile.profile = ErasureProfile { data: 2, parity: 1 };
    let mut more_shards = block(2);
    more_shards.shards.push(None);
    for bad in [other_profile, more_shards] {
        assert!(matches!(
            h.err(update(bad, None)),
            MetaError::BlockMismatch(_)
        ));
    }
    assert_eq!(get_object(&h, "k"), object("e", &[2]));

    // Without an expectation (entries of older releases) the update applies.
    let mut moved = block(2);
    moved.shards[0] = Some(ShardRef {
        node: 9,
        blake3: [2; 32],
    });
    h.ok(update(moved.clone(), None));
    assert_eq!(lookup(&h, &[2]), vec![Some(moved)]);
}

#[test]
fn removed_nodes_stay_removed() {
    let mut h = Harness::new();
    let node = |state: NodeState, heartbeat: i64, addr: &str| NodeInfo {
        id: 4,
        addr: addr.into(),
        zone: "z".into(),
        capacity_bytes: 100,
        state,
        last_heartbeat: heartbeat,
    };
    let nodes = |h: &Harness| match h.q(Query::ListNodes) {
        Ok(QueryReply::Nodes(n)) => n,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        h.err(Command::SetNodeState {
            id: 4,
            state: NodeState::Removed
        }),
        MetaError::NoSuchNode
    );
    h.ok(Command::RegisterNode {
        node: node(NodeState::Up, 1, "a:1"),
    });
    h.ok(Command::SetNodeState {
        id: 4,
        state: NodeState::Removed,
    });
    assert_eq!(nodes(&h), vec![node(NodeState::Removed, 1, "a:1")]);
    // Its heartbeat updates where it is, not its state.
    h.ok(Command::RegisterNode {
        node: node(NodeState::Up, 2, "a:2"),
    });
    assert_eq!(nodes(&h), vec![node(NodeState::Removed, 2, "a:2")]);
    // Setting the state back re-admits it.
    h.ok(Command::SetNodeState {
        id: 4,
        state: NodeState::Up,
    });
    h.ok(Command::RegisterNode {
        node: node(NodeState::Up, 3, "a:3"),
    });
    assert_eq!(nodes(&h), vec![node(NodeState::Up, 3, "a:3")]);
}

#[test]
fn block_lookups_are_bounded() {
    let h = Harness::new();
    let ids = vec![id(1); 10_001];
    assert!(matches!(
        h.q(Query::GetBlocks { ids }),
        Err(MetaError::Invalid(_))
    ));
    assert_eq!(lookup(&h, &[]), Vec::<Option<BlockRef>>::new());
}
