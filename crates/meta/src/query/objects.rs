//! ListObjects: an ordered range scan of one bucket with delimiter skip-ahead.

use super::{common_prefix, records, utf8};
use crate::store::db::{self, CF_OBJECTS};
use crate::store::keys::{bucket_prefix, prefix_successor};
use crate::Result;
use rocksdb::DB;
use tessera_types::codec;
use tessera_types::meta::{ListEntry, ListObjectsPage, ListObjectsQuery, MetaError};
use tessera_types::ObjectRecord;

/// Lists `q.bucket` and counts the iterator moves (seeks and nexts) it took.
///
/// When a key rolls up into a common prefix, the prefix is emitted once and
/// the iterator seeks past every key starting with it, so a delimited listing
/// costs one seek per common prefix rather than one step per key under it.
pub(crate) fn list_objects(
    db: &DB,
    q: &ListObjectsQuery,
) -> Result<(Result<ListObjectsPage, MetaError>, u64)> {
    if records::get_bucket(db, &q.bucket)?.is_none() {
        return Ok((Err(MetaError::NoSuchBucket), 0));
    }
    let bucket_pfx = bucket_prefix(&q.bucket);
    let with_bucket = |s: &str| {
        let mut k = bucket_pfx.clone();
        k.extend_from_slice(s.as_bytes());
        k
    };
    let scan_pfx = with_bucket(&q.prefix);
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());

    let mut start = scan_pfx.clone();
    let mut skip_exact = None;
    if let Some(after) = q.start_after.as_deref() {
        let after_key = with_bucket(after);
        let is_common_prefix =
            delimiter.is_some_and(|d| common_prefix(&q.prefix, after, d) == Some(after));
        let from = if is_common_prefix {
            match prefix_successor(&after_key) {
                Some(s) => s,
                None => return Ok((Ok(ListObjectsPage::default()), 0)),
            }
        } else {
            skip_exact = Some(after_key.clone());
            after_key
        };
        if from > start {
            start = from;
        }
    }

    let max = q.max_keys as usize;
    let mut page = ListObjectsPage::default();
    let mut steps = 1u64;
    let mut it = db::prefix_iterator(db, CF_OBJECTS, &scan_pfx)?;
    it.seek(&start);
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        if !k.starts_with(&scan_pfx) {
            break;
        }
        if skip_exact.as_deref() == Some(k) {
            it.next();
            steps += 1;
            continue;
        }
        if page.entries.len() >= max {
            page.is_truncated = true;
            break;
        }
        let key = utf8(&k[bucket_pfx.len()..])?;
        match delimiter.and_then(|d| common_prefix(&q.prefix, key, d)) {
            Some(cp) => {
                let cp = cp.to_string();
                let next = prefix_successor(&with_bucket(&cp));
                page.entries.push(ListEntry::CommonPrefix(cp));
                match next {
                    Some(next) => it.seek(next),
                    None => break,
                }
            }
            None => {
                let record: ObjectRecord = codec::decode(v)?;
                page.entries.push(ListEntry::Object {
                    key: key.to_string(),
                    summary: record.summary(),
                });
                it.next();
            }
        }
        steps += 1;
    }
    it.status()?;
    Ok((Ok(page), steps))
}
