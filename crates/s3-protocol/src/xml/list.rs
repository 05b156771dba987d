//! Object listings: ListObjects (V1) and ListObjectsV2.

use super::common::{CommonPrefix, Owner};
use super::{ToXml, XmlWriter};
use serde::Deserialize;

/// One object of a listing (`Contents`; the AWS shape `Object`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Object {
    /// `Key` (URL-encoded by the caller when `encoding-type=url`).
    pub key: String,
    /// `LastModified`, ISO 8601.
    pub last_modified: String,
    /// `ETag`, quoted.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `ChecksumAlgorithm`, e.g. `CRC32C`.
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    /// `ChecksumType`: `FULL_OBJECT` or `COMPOSITE`.
    #[serde(default)]
    pub checksum_type: Option<String>,
    /// `Size` in bytes.
    pub size: u64,
    /// `StorageClass`, e.g. `STANDARD`.
    pub storage_class: String,
    /// `Owner`: always in V1, only with `fetch-owner=true` in V2.
    #[serde(default)]
    pub owner: Option<Owner>,
}

impl Object {
    fn write(&self, w: &mut XmlWriter) {
        w.start("Contents")
            .elem("Key", &self.key)
            .elem("LastModified", &self.last_modified)
            .elem("ETag", &self.etag)
            .opt("ChecksumAlgorithm", self.checksum_algorithm.as_deref())
            .opt("ChecksumType", self.checksum_type.as_deref())
            .value("Size", self.size)
            .elem("StorageClass", &self.storage_class);
        if let Some(o) = &self.owner {
            o.write(w, "Owner");
        }
        w.end("Contents");
    }
}

/// The ListObjects (V1) response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketResult {
    /// `Name`: the bucket.
    pub name: String,
    /// `Prefix`, always present (empty when none was given).
    #[serde(default)]
    pub prefix: String,
    /// `Marker`, always present (empty when none was given).
    #[serde(default)]
    pub marker: String,
    /// `NextMarker`: set when truncated and a delimiter was given.
    #[serde(default)]
    pub next_marker: Option<String>,
    /// `MaxKeys`
    pub max_keys: u32,
    /// `Delimiter`, when one was given.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// `IsTruncated`
    pub is_truncated: bool,
    /// `EncodingType`: `url` when requested.
    #[serde(default)]
    pub encoding_type: Option<String>,
    /// `Contents*`
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Object>,
    /// `CommonPrefixes*`
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
}

impl ToXml for ListBucketResult {
    const ROOT: &'static str = "ListBucketResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Name", &self.name)
            .elem("Prefix", &self.prefix)
            .elem("Marker", &self.marker)
            .opt("NextMarker", self.next_marker.as_deref())
            .value("MaxKeys", self.max_keys)
            .opt("Delimiter", self.delimiter.as_deref())
            .value("IsTruncated", self.is_truncated)
            .opt("EncodingType", self.encoding_type.as_deref());
        for o in &self.contents {
            o.write(w);
        }
        CommonPrefix::write_all(&self.common_prefixes, w);
    }
}

/// The ListObjectsV2 response (root element `ListBucketResult`, like V1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBucketResultV2 {
    /// `Name`: the bucket.
    pub name: String,
    /// `Prefix`, always present (empty when none was given).
    #[serde(default)]
    pub prefix: String,
    /// `KeyCount`: keys plus common prefixes returned.
    pub key_count: u32,
    /// `MaxKeys`
    pub max_keys: u32,
    /// `Delimiter`, when one was given.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// `IsTruncated`
    pub is_truncated: bool,
    /// `ContinuationToken`, echoing the request.
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// `NextContinuationToken`, when truncated.
    #[serde(default)]
    pub next_continuation_token: Option<String>,
    /// `StartAfter`, echoing the request.
    #[serde(default)]
    pub start_after: Option<String>,
    /// `EncodingType`: `url` when requested.
    #[serde(default)]
    pub encoding_type: Option<String>,
    /// `Contents*`
    #[serde(rename = "Contents", default)]
    pub contents: Vec<Object>,
    /// `CommonPrefixes*`
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
}

impl ToXml for ListBucketResultV2 {
    const ROOT: &'static str = "ListBucketResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Name", &self.name)
            .elem("Prefix", &self.prefix)
            .value("KeyCount", self.key_count)
            .value("MaxKeys", self.max_keys)
            .opt("Delimiter", self.delimiter.as_deref())
            .value("IsTruncated", self.is_truncated)
            .opt("ContinuationToken", self.continuation_token.as_deref())
            .opt(
                "NextContinuationToken",
                self.next_continuation_token.as_deref(),
            )
            .opt("StartAfter", self.start_after.as_deref())
            .opt("EncodingType", self.encoding_type.as_deref());
        for o in &self.contents {
            o.write(w);
        }
        CommonPrefix::write_all(&self.common_prefixes, w);
    }
}
