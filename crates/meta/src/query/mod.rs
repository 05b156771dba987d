//! Answering [`Query`]s straight from the state machine's column families.
//!
//! Each query reads committed state: single-key reads see one applied
//! command's effects in full (commands are applied atomically), and listings
//! read through one RocksDB iterator, which is a consistent snapshot.

mod blocks;
mod objects;
mod records;
mod uploads;

pub(crate) use objects::list_objects;

use crate::Result;
use rocksdb::DB;
use std::sync::Arc;
use tessera_types::meta::{MetaError, Query, QueryReply, QueryResult};

/// Read access to the state machine, shared with the Raft state machine.
#[derive(Clone)]
pub struct StateReader {
    db: Arc<DB>,
}

impl StateReader {
    pub(crate) fn new(db: Arc<DB>) -> Self {
        StateReader { db }
    }

    /// Answers `q` from the local state machine. Blocking (RocksDB I/O).
    ///
    /// `GetObject`, `ListObjects` and `ListUploads` on a missing bucket
    /// answer `Err(NoSuchBucket)`; `ListParts` on a missing upload
    /// `Err(NoSuchUpload)`.
    pub fn query(&self, q: &Query) -> Result<QueryResult> {
        let db = &*self.db;
        Ok(match q {
            Query::GetBucket { name } => Ok(QueryReply::Bucket(records::get_bucket(db, name)?)),
            Query::ListBuckets => Ok(QueryReply::Buckets(records::list_buckets(db)?)),
            Query::GetObject { bucket, key } => match records::get_bucket(db, bucket)? {
                None => Err(MetaError::NoSuchBucket),
                Some(_) => Ok(QueryReply::Object(
                    records::get_object(db, bucket, key)?.map(Box::new),
                )),
            },
            Query::ListObjects(lq) => list_objects(db, lq)?.0.map(QueryReply::Objects),
            Query::GetUpload {
                bucket,
                key,
                upload_id,
            } => Ok(QueryReply::Upload(records::get_upload(
                db, bucket, key, upload_id,
            )?)),
            Query::ListParts {
                bucket,
                key,
                upload_id,
                part_number_marker,
                max_parts,
            } => records::list_parts(db, bucket, key, upload_id, *part_number_marker, *max_parts)?
                .map(|(parts, is_truncated)| QueryReply::Parts {
                    parts,
                    is_truncated,
                }),
            Query::ListUploads(uq) => uploads::list_uploads(db, uq)?.map(QueryReply::Uploads),
            Query::GetAccessKey { access_key_id } => Ok(QueryReply::AccessKey(
                records::get_access_key(db, access_key_id)?,
            )),
            Query::ListAccessKeys => Ok(QueryReply::AccessKeys(records::list_access_keys(db)?)),
            Query::ListNodes => Ok(QueryReply::Nodes(records::list_nodes(db)?)),
            Query::EventStats { kind, bucket } => Ok(QueryReply::EventStats(records::event_stats(
                db,
                *kind,
                bucket.as_deref(),
            )?)),
            Query::ListRemotes => Ok(QueryReply::Remotes(records::list_remotes(db)?)),
            Query::ListTopics => Ok(QueryReply::Topics(records::list_topics(db)?)),
            Query::GetTopic { name } => Ok(QueryReply::Topic(records::get_topic(db, name)?)),
            Query::ListEvents {
                after,
                max,
                failed_only,
                kind,
                bucket,
            } => Ok(QueryReply::Events(records::list_events(
                db,
                *after,
                *max,
                *failed_only,
                (*kind, bucket.as_deref()),
            )?)),
            Query::ListGc { max } => Ok(QueryReply::Gc(records::list_gc(db, *max)?)),
            Query::GetBlocks { ids } => blocks::get_blocks(db, ids)?.map(QueryReply::Blocks),
            Query::ScanBlocks { after, max } => Ok(QueryReply::OwnedBlocks(blocks::scan_blocks(
                db, *after, *max,
            )?)),
            Query::ListRepairQueue { after, max } => Ok(QueryReply::OwnedBlocks(
                blocks::list_repair_queue(db, *after, *max)?,
            )),
            Query::RepairQueueLength => Ok(QueryReply::Count(blocks::repair_queue_length(db)?)),
        })
    }
}

/// The common prefix `key` rolls up into: `prefix` + everything up to and
/// including the first `delimiter` after it, if there is one.
pub(crate) fn common_prefix<'k>(prefix: &str, key: &'k str, delimiter: &str) -> Option<&'k str> {
    let rest = key.strip_prefix(prefix)?;
    let pos = rest.find(delimiter)?;
    Some(&key[..prefix.len() + pos + delimiter.len()])
}

/// Decodes the UTF-8 text of a stored key component.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| crate::Error::Corrupt(format!("non-UTF-8 key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::common_prefix;

    #[test]
    fn common_prefix_rolls_up_after_prefix() {
        assert_eq!(common_prefix("", "a/b/c", "/"), Some("a/"));
        assert_eq!(common_prefix("a/", "a/b/c", "/"), Some("a/b/"));
        assert_eq!(common_prefix("a/", "a/b", "/"), None);
        assert_eq!(common_prefix("x", "a/b", "/"), None);
        assert_eq!(common_prefix("", "été--x--y", "--"), Some("été--"));
    }
}
