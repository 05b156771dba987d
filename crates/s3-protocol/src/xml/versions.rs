//! Version listings: ListObjectVersions.

use super::common::{CommonPrefix, Owner};
use super::{ToXml, XmlWriter};
use serde::Deserialize;

/// One version of an object (`Version`; the AWS shape `ObjectVersion`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ObjectVersion {
    /// `Key` (URL-encoded by the caller when `encoding-type=url`).
    pub key: String,
    /// `VersionId`: `null` for an object written while versioning was not
    /// enabled.
    pub version_id: String,
    /// `IsLatest`
    pub is_latest: bool,
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
    /// `Owner`
    pub owner: Owner,
}

impl ObjectVersion {
    fn write(&self, w: &mut XmlWriter) {
        w.start("Version")
            .elem("Key", &self.key)
            .elem("VersionId", &self.version_id)
            .value("IsLatest", self.is_latest)
            .elem("LastModified", &self.last_modified)
            .elem("ETag", &self.etag)
            .opt("ChecksumAlgorithm", self.checksum_algorithm.as_deref())
            .opt("ChecksumType", self.checksum_type.as_deref())
            .value("Size", self.size)
            .elem("StorageClass", &self.storage_class);
        self.owner.write(w, "Owner");
        w.end("Version");
    }
}

/// The ListObjectVersions response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListVersionsResult {
    /// `Name`: the bucket.
    pub name: String,
    /// `Prefix`, always present (empty when none was given).
    #[serde(default)]
    pub prefix: String,
    /// `KeyMarker`, always present (empty when none was given).
    #[serde(default)]
    pub key_marker: String,
    /// `VersionIdMarker`, always present (empty when none was given).
    #[serde(default)]
    pub version_id_marker: String,
    /// `NextKeyMarker`, when truncated.
    #[serde(default)]
    pub next_key_marker: Option<String>,
    /// `NextVersionIdMarker`, when truncated.
    #[serde(default)]
    pub next_version_id_marker: Option<String>,
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
    /// `Version*`
    #[serde(rename = "Version", default)]
    pub versions: Vec<ObjectVersion>,
    /// `CommonPrefixes*`
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
}

impl ToXml for ListVersionsResult {
    const ROOT: &'static str = "ListVersionsResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Name", &self.name)
            .elem("Prefix", &self.prefix)
            .elem("KeyMarker", &self.key_marker)
            .elem("VersionIdMarker", &self.version_id_marker)
            .opt("NextKeyMarker", self.next_key_marker.as_deref())
            .opt(
                "NextVersionIdMarker",
                self.next_version_id_marker.as_deref(),
            )
            .value("MaxKeys", self.max_keys)
            .opt("Delimiter", self.delimiter.as_deref())
            .value("IsTruncated", self.is_truncated)
            .opt("EncodingType", self.encoding_type.as_deref());
        for v in &self.versions {
            v.write(w);
        }
        CommonPrefix::write_all(&self.common_prefixes, w);
    }
}
