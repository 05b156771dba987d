//! CopyObject and UploadPartCopy responses.

use super::common::write_checksums;
use super::{ToXml, XmlWriter};
use serde::Deserialize;

/// The CopyObject response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyObjectResult {
    /// `ETag` of the new object, quoted.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `LastModified`, ISO 8601.
    pub last_modified: String,
    /// `ChecksumType`: `FULL_OBJECT` or `COMPOSITE`.
    #[serde(default)]
    pub checksum_type: Option<String>,
    /// `ChecksumCRC32`
    #[serde(rename = "ChecksumCRC32", default)]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`
    #[serde(rename = "ChecksumCRC32C", default)]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`
    #[serde(rename = "ChecksumCRC64NVME", default)]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`
    #[serde(rename = "ChecksumSHA1", default)]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`
    #[serde(rename = "ChecksumSHA256", default)]
    pub checksum_sha256: Option<String>,
}

impl ToXml for CopyObjectResult {
    const ROOT: &'static str = "CopyObjectResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("ETag", &self.etag)
            .elem("LastModified", &self.last_modified)
            .opt("ChecksumType", self.checksum_type.as_deref());
        write_checksums(
            w,
            [
                &self.checksum_crc32,
                &self.checksum_crc32c,
                &self.checksum_crc64nvme,
                &self.checksum_sha1,
                &self.checksum_sha256,
            ],
        );
    }
}

/// The UploadPartCopy response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopyPartResult {
    /// `ETag` of the new part, quoted.
    #[serde(rename = "ETag")]
    pub etag: String,
    /// `LastModified`, ISO 8601.
    pub last_modified: String,
    /// `ChecksumCRC32`
    #[serde(rename = "ChecksumCRC32", default)]
    pub checksum_crc32: Option<String>,
    /// `ChecksumCRC32C`
    #[serde(rename = "ChecksumCRC32C", default)]
    pub checksum_crc32c: Option<String>,
    /// `ChecksumCRC64NVME`
    #[serde(rename = "ChecksumCRC64NVME", default)]
    pub checksum_crc64nvme: Option<String>,
    /// `ChecksumSHA1`
    #[serde(rename = "ChecksumSHA1", default)]
    pub checksum_sha1: Option<String>,
    /// `ChecksumSHA256`
    #[serde(rename = "ChecksumSHA256", default)]
    pub checksum_sha256: Option<String>,
}

impl ToXml for CopyPartResult {
    const ROOT: &'static str = "CopyPartResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("ETag", &self.etag)
            .elem("LastModified", &self.last_modified);
        write_checksums(
            w,
            [
                &self.checksum_crc32,
                &self.checksum_crc32c,
                &self.checksum_crc64nvme,
                &self.checksum_sha1,
                &self.checksum_sha256,
            ],
        );
    }
}
