//! State-machine tests: commands applied through `apply_entries`, queries
//! answered by `StateReader`, on a throwaway RocksDB.

mod batch;
mod blocks;
mod commands;
mod events;
mod listing;
mod multipart;
mod replication;
mod snapshots;

use crate::query::StateReader;
use crate::raft_types::Entry;
use crate::store::{db, snapshot_dir, state_machine_apply, Snapshots};
use openraft::{CommittedLeaderId, EntryPayload, LogId};
use rocksdb::DB;
use std::sync::Arc;
use tessera_types::meta::{
    Command, CommandReply, CommandResult, GcEntry, MetaError, Query, QueryReply, QueryResult,
};
use tessera_types::{
    BlockId, BlockRef, BucketRecord, ContentHeaders, ErasureProfile, ObjectRecord, PartRecord,
    Segment, ShardRef, StorageClass, UploadRecord,
};

pub(crate) struct Harness {
    _dir: tempfile::TempDir,
    pub db: Arc<DB>,
    pub snapshots: Snapshots,
    reader: StateReader,
    pub index: u64,
}

impl Harness {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("meta.db");
        let db = db::open(&path).unwrap();
        let snapshots = Snapshots::open(db.clone(), snapshot_dir(&path)).unwrap();
        Harness {
            _dir: dir,
            snapshots,
            reader: StateReader::new(db.clone()),
            db,
            index: 0,
        }
    }

    pub fn cmd(&mut self, c: Command) -> CommandResult {
        self.index += 1;
        let entry = Entry {
            log_id: LogId::new(CommittedLeaderId::new(1, 1), self.index),
            payload: EntryPayload::Normal(c),
        };
        let mut out = state_machine_apply(&self.db, vec![entry]).unwrap();
        assert_eq!(out.len(), 1);
        out.remove(0)
    }

    pub fn ok(&mut self, c: Command) -> CommandReply {
        self.cmd(c).unwrap()
    }

    pub fn err(&mut self, c: Command) -> MetaError {
        self.cmd(c).unwrap_err()
    }

    pub fn q(&self, q: Query) -> QueryResult {
        self.reader.query(&q).unwrap()
    }

    pub fn gc(&self) -> Vec<GcEntry> {
        match self.q(Query::ListGc { max: 1000 }).unwrap() {
            QueryReply::Gc(g) => g,
            other => panic!("{other:?}"),
        }
    }

    pub fn bucket(&mut self, name: &str) {
        self.ok(Command::CreateBucket {
            bucket: bucket(name, "owner"),
        });
    }

    pub fn put(&mut self, bucket: &str, key: &str, object: ObjectRecord) -> Option<ObjectRecord> {
        match self.ok(Command::PutObject {
            bucket: bucket.into(),
            key: key.into(),
            object,
            precondition: Default::default(),
            event: tessera_types::events::EventName::ObjectCreatedPut,
        }) {
            CommandReply::Object(o) => o.map(|b| *b),
            other => panic!("{other:?}"),
        }
    }
}

pub(crate) fn bucket(name: &str, owner: &str) -> BucketRecord {
    BucketRecord::new(name, owner, 1, "us-east-1")
}

pub(crate) fn block(tag: u8) -> BlockRef {
    BlockRef {
        id: BlockId([tag; 16]),
        size: 10,
        profile: ErasureProfile { data: 1, parity: 0 },
        shard_len: 10,
        shards: vec![Some(ShardRef {
            node: 1,
            blake3: [tag; 32],
        })],
    }
}

pub(crate) fn object(etag: &str, blocks: &[u8]) -> ObjectRecord {
    ObjectRecord {
        size: 10 * blocks.len() as u64,
        etag: etag.into(),
        last_modified: 5,
        owner: "owner".into(),
        storage_class: StorageClass::Standard,
        content: ContentHeaders::default(),
        user_meta: vec![],
        checksum: None,
        parts: vec![],
        segments: blocks.iter().map(|t| Segment::Block(block(*t))).collect(),
        upload_id: None,
        acl: Default::default(),
        replication_status: None,
    }
}

pub(crate) fn inline_object(etag: &str) -> ObjectRecord {
    ObjectRecord {
        segments: vec![Segment::Inline(b"hi".to_vec())],
        ..object(etag, &[])
    }
}

pub(crate) fn upload(bucket: &str, key: &str, id: &str) -> UploadRecord {
    UploadRecord {
        upload_id: id.into(),
        bucket: bucket.into(),
        key: key.into(),
        initiated: 3,
        owner: "owner".into(),
        storage_class: StorageClass::Standard,
        content: ContentHeaders::default(),
        user_meta: vec![],
        checksum_algorithm: None,
        checksum_type: None,
        acl: Default::default(),
        replica: false,
    }
}

pub(crate) fn part(number: u32, etag: &str, blocks: &[u8]) -> PartRecord {
    PartRecord {
        number,
        size: 10,
        etag: etag.into(),
        last_modified: 4,
        checksum: None,
        segments: blocks.iter().map(|t| Segment::Block(block(*t))).collect(),
    }
}

/// The block tags of a GC entry, sorted.
pub(crate) fn tags(e: &GcEntry) -> Vec<u8> {
    let mut t: Vec<u8> = e.blocks.iter().map(|b| b.id.0[0]).collect();
    t.sort();
    t
}
