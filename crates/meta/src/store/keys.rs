//! Key layout of the state-machine column families.
//!
//! Composite keys join their components with a `0x00` byte. Bucket names,
//! object keys and upload ids never contain NUL (commands carrying one are
//! rejected), so the separator is unambiguous and byte order of a composite
//! key is the order of its components: `bucket\0key` sorts by bucket, then key.

use tessera_types::meta::MetaError;

/// The component separator.
pub(crate) const SEP: u8 = 0;

/// A big-endian `u64`: log indexes, node ids and GC sequence numbers sort numerically.
pub(crate) fn u64_key(v: u64) -> [u8; 8] {
    v.to_be_bytes()
}

/// Decodes a key written by [`u64_key`].
pub(crate) fn decode_u64_key(k: &[u8]) -> Option<u64> {
    let arr: [u8; 8] = k.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

fn join(parts: &[&[u8]], trailing_sep: bool) -> Vec<u8> {
    let len = parts.iter().map(|p| p.len() + 1).sum();
    let mut out = Vec::with_capacity(len);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.extend_from_slice(p);
    }
    if trailing_sep {
        out.push(SEP);
    }
    out
}

/// `bucket\0`: every object, upload and part key of `bucket` starts with it.
pub(crate) fn bucket_prefix(bucket: &str) -> Vec<u8> {
    join(&[bucket.as_bytes()], true)
}

/// `bucket\0key` in the `objects` column family.
pub(crate) fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    join(&[bucket.as_bytes(), key.as_bytes()], false)
}

/// `bucket\0key\0upload_id` in the `uploads` column family.
pub(crate) fn upload_key(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    join(
        &[bucket.as_bytes(), key.as_bytes(), upload_id.as_bytes()],
        false,
    )
}

/// `bucket\0key\0upload_id\0`: the prefix of every part of one upload.
pub(crate) fn parts_prefix(bucket: &str, key: &str, upload_id: &str) -> Vec<u8> {
    join(
        &[bucket.as_bytes(), key.as_bytes(), upload_id.as_bytes()],
        true,
    )
}

/// `bucket\0key\0upload_id\0<be u32 part>` in the `parts` column family.
pub(crate) fn part_key(bucket: &str, key: &str, upload_id: &str, part: u32) -> Vec<u8> {
    let mut k = parts_prefix(bucket, key, upload_id);
    k.extend_from_slice(&part.to_be_bytes());
    k
}

/// The smallest byte string greater than every string starting with
/// `prefix`, or `None` if there is none (`prefix` is all `0xFF`).
///
/// UTF-8 text never contains `0xFF`, so for keys built from strings this is
/// just the prefix with its last byte incremented.
pub(crate) fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// Rejects a name component that is empty or contains NUL.
pub(crate) fn validate_component(what: &str, value: &str) -> Result<(), MetaError> {
    if value.is_empty() {
        return Err(MetaError::Invalid(format!("{what} must not be empty")));
    }
    if value.as_bytes().contains(&SEP) {
        return Err(MetaError::Invalid(format!("{what} must not contain NUL")));
    }
    Ok(())
}

/// Rejects an object key containing NUL (the empty key is rejected too: S3
/// keys have at least one character).
pub(crate) fn validate_object(bucket: &str, key: &str) -> Result<(), MetaError> {
    validate_component("bucket name", bucket)?;
    validate_component("object key", key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composite_keys_sort_by_component() {
        // "a" < "a/b" as keys, and the separator keeps that order.
        assert!(object_key("b", "a") < object_key("b", "a/b"));
        assert!(object_key("b", "zz") < object_key("c", "a"));
        assert!(bucket_prefix("b") < object_key("b", "a"));
        assert!(object_key("b", "a").starts_with(&bucket_prefix("b")));
        assert!(!object_key("bb", "a").starts_with(&bucket_prefix("b")));
        assert!(part_key("b", "k", "u", 1) < part_key("b", "k", "u", 256));
        assert!(part_key("b", "k", "u", 7).starts_with(&parts_prefix("b", "k", "u")));
    }

    #[test]
    fn successor_bounds_the_prefix() {
        assert_eq!(prefix_successor(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_successor(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_successor(b"\xff\xff"), None);
        let p = "é".as_bytes();
        let s = prefix_successor(p).unwrap();
        assert!(s.as_slice() > "éz".as_bytes());
    }

    #[test]
    fn u64_keys_round_trip_and_sort() {
        assert_eq!(decode_u64_key(&u64_key(42)), Some(42));
        assert!(u64_key(2) < u64_key(256));
        assert_eq!(decode_u64_key(b"short"), None);
    }

    #[test]
    fn rejects_nul_and_empty() {
        assert!(validate_component("x", "").is_err());
        assert!(validate_component("x", "a\0b").is_err());
        assert!(validate_object("b", "ok/key").is_ok());
    }
}
