//! ListMultipartUploads: uploads of one bucket in (key, upload id) order, with
//! delimiter skip-ahead like ListObjects.

use super::{common_prefix, records, utf8};
use crate::store::db::{self, CF_UPLOADS};
use crate::store::keys::{bucket_prefix, prefix_successor, upload_key, SEP};
use crate::{Error, Result};
use rocksdb::DB;
use tessera_types::codec;
use tessera_types::meta::{ListUploadsPage, ListUploadsQuery, MetaError, UploadEntry};
use tessera_types::UploadRecord;

/// Lists uploads following the AWS marker rules: with only `key_marker`,
/// uploads of keys after it; with `upload_id_marker` too, also the uploads of
/// `key_marker` itself whose id sorts after the marker. A `key_marker` that is
/// a common prefix skips everything under it.
pub(crate) fn list_uploads(
    db: &DB,
    q: &ListUploadsQuery,
) -> Result<Result<ListUploadsPage, MetaError>> {
    if records::get_bucket(db, &q.bucket)?.is_none() {
        return Ok(Err(MetaError::NoSuchBucket));
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
    if let Some(marker) = q.key_marker.as_deref().filter(|m| !m.is_empty()) {
        let is_common_prefix =
            delimiter.is_some_and(|d| common_prefix(&q.prefix, marker, d) == Some(marker));
        let upload_marker = q.upload_id_marker.as_deref().filter(|m| !m.is_empty());
        let from = if is_common_prefix {
            match prefix_successor(&with_bucket(marker)) {
                Some(s) => s,
                None => return Ok(Ok(ListUploadsPage::default())),
            }
        } else if let Some(upload_marker) = upload_marker {
            let k = upload_key(&q.bucket, marker, upload_marker);
            skip_exact = Some(k.clone());
            k
        } else {
            // Past every `bucket\0marker\0<id>`: keys never contain NUL, so
            // the next possible entry is `bucket\0marker\x01...`.
            let mut k = with_bucket(marker);
            k.push(SEP + 1);
            k
        };
        if from > start {
            start = from;
        }
    }

    let max = q.max_uploads as usize;
    let mut page = ListUploadsPage::default();
    let mut it = db::prefix_iterator(db, CF_UPLOADS, &scan_pfx)?;
    it.seek(&start);
    while let (Some(k), Some(v)) = (it.key(), it.value()) {
        if !k.starts_with(&scan_pfx) {
            break;
        }
        if skip_exact.as_deref() == Some(k) {
            it.next();
            continue;
        }
        if page.entries.len() >= max {
            page.is_truncated = true;
            break;
        }
        let rest = &k[bucket_pfx.len()..];
        let key_end = rest
            .iter()
            .rposition(|b| *b == SEP)
            .ok_or_else(|| Error::Corrupt("upload key without upload id".into()))?;
        let key = utf8(&rest[..key_end])?;
        match delimiter.and_then(|d| common_prefix(&q.prefix, key, d)) {
            Some(cp) => {
                let cp = cp.to_string();
                let next = prefix_successor(&with_bucket(&cp));
                page.entries.push(UploadEntry::CommonPrefix(cp));
                match next {
                    Some(next) => it.seek(next),
                    None => break,
                }
            }
            None => {
                let record: UploadRecord = codec::decode(v)?;
                page.entries.push(UploadEntry::Upload(record));
                it.next();
            }
        }
    }
    it.status()?;
    Ok(Ok(page))
}
