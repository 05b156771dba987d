//! Multipart upload documents.

use super::common::{write_checksums, CommonPrefix, Owner};
use super::{from_xml, malformed, ToXml, XmlWriter};
use crate::error::S3Error;
use serde::Deserialize;

/// The most parts a multipart upload may have.
pub const MAX_PARTS: usize = 10_000;

macro_rules! checksum_fields {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty,)* }) => {
        $(#[$m])*
        pub struct $name {
            $($(#[$fm])* pub $f: $t,)*
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

        impl $name {
            fn write_checksums(&self, w: &mut XmlWriter) {
                write_checksums(w, [
                    &self.checksum_crc32,
                    &self.checksum_crc32c,
                    &self.checksum_crc64nvme,
                    &self.checksum_sha1,
                    &self.checksum_sha256,
                ]);
            }
        }
    };
}

/// The CreateMultipartUpload response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitiateMultipartUploadResult {
    /// `Bucket`
    pub bucket: String,
    /// `Key`
    pub key: String,
    /// `UploadId`
    pub upload_id: String,
}

impl ToXml for InitiateMultipartUploadResult {
    const ROOT: &'static str = "InitiateMultipartUploadResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Bucket", &self.bucket)
            .elem("Key", &self.key)
            .elem("UploadId", &self.upload_id);
    }
}

checksum_fields! {
    /// The CompleteMultipartUpload response.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct CompleteMultipartUploadResult {
        /// `Location`: the URL of the new object.
        pub location: String,
        /// `Bucket`
        pub bucket: String,
        /// `Key`
        pub key: String,
        /// `ETag`, quoted (`"<md5 of part md5s>-N"`).
        #[serde(rename = "ETag")]
        pub etag: String,
        /// `ChecksumType`: `FULL_OBJECT` or `COMPOSITE`.
        #[serde(default)]
        pub checksum_type: Option<String>,
    }
}

impl ToXml for CompleteMultipartUploadResult {
    const ROOT: &'static str = "CompleteMultipartUploadResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Location", &self.location)
            .elem("Bucket", &self.bucket)
            .elem("Key", &self.key)
            .elem("ETag", &self.etag);
        self.write_checksums(w);
        w.opt("ChecksumType", self.checksum_type.as_deref());
    }
}

/// The CompleteMultipartUpload request body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CompleteMultipartUpload {
    /// `Part*`, in the order given.
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPart>,
}

checksum_fields! {
    /// One part named by a CompleteMultipartUpload request.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct CompletedPart {
        /// `PartNumber`
        pub part_number: u32,
        /// `ETag`, as sent (usually quoted).
        #[serde(rename = "ETag")]
        pub etag: String,
    }
}

impl CompleteMultipartUpload {
    /// Parses a CompleteMultipartUpload body: `MalformedXML` if it is not a
    /// valid document (a part without `PartNumber` or `ETag`, a part number
    /// that is not a number) or names no part or more than [`MAX_PARTS`].
    /// Order and existence of the parts are for the caller to check
    /// (`InvalidPartOrder`, `InvalidPart`).
    pub fn parse(body: &[u8]) -> Result<Self, S3Error> {
        let c: CompleteMultipartUpload = from_xml(body)?;
        if c.parts.is_empty() || c.parts.len() > MAX_PARTS {
            return Err(malformed());
        }
        Ok(c)
    }
}

impl ToXml for CompleteMultipartUpload {
    const ROOT: &'static str = "CompleteMultipartUpload";
    fn write_children(&self, w: &mut XmlWriter) {
        for p in &self.parts {
            w.start("Part").elem("ETag", &p.etag);
            p.write_checksums(w);
            w.value("PartNumber", p.part_number).end("Part");
        }
    }
}

/// The ListParts response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPartsResult {
    /// `Bucket`
    pub bucket: String,
    /// `Key`
    pub key: String,
    /// `UploadId`
    pub upload_id: String,
    /// `PartNumberMarker` (0 when none was given).
    #[serde(default)]
    pub part_number_marker: u32,
    /// `NextPartNumberMarker`, when truncated.
    #[serde(default)]
    pub next_part_number_marker: Option<u32>,
    /// `MaxParts`
    pub max_parts: u32,
    /// `IsTruncated`
    pub is_truncated: bool,
    /// `Part*`
    #[serde(rename = "Part", default)]
    pub parts: Vec<Part>,
    /// `Initiator`
    #[serde(default)]
    pub initiator: Option<Owner>,
    /// `Owner`
    #[serde(default)]
    pub owner: Option<Owner>,
    /// `StorageClass`
    pub storage_class: String,
    /// `ChecksumAlgorithm` of the upload.
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    /// `ChecksumType` of the upload.
    #[serde(default)]
    pub checksum_type: Option<String>,
}

checksum_fields! {
    /// One uploaded part in a ListParts response.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Part {
        /// `PartNumber`
        pub part_number: u32,
        /// `LastModified`, ISO 8601.
        pub last_modified: String,
        /// `ETag`, quoted.
        #[serde(rename = "ETag")]
        pub etag: String,
        /// `Size` in bytes.
        pub size: u64,
    }
}

impl ToXml for ListPartsResult {
    const ROOT: &'static str = "ListPartsResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Bucket", &self.bucket)
            .elem("Key", &self.key)
            .elem("UploadId", &self.upload_id)
            .value("PartNumberMarker", self.part_number_marker)
            .opt_value("NextPartNumberMarker", self.next_part_number_marker)
            .value("MaxParts", self.max_parts)
            .value("IsTruncated", self.is_truncated);
        for p in &self.parts {
            w.start("Part")
                .value("PartNumber", p.part_number)
                .elem("LastModified", &p.last_modified)
                .elem("ETag", &p.etag)
                .value("Size", p.size);
            p.write_checksums(w);
            w.end("Part");
        }
        if let Some(i) = &self.initiator {
            i.write(w, "Initiator");
        }
        if let Some(o) = &self.owner {
            o.write(w, "Owner");
        }
        w.elem("StorageClass", &self.storage_class)
            .opt("ChecksumAlgorithm", self.checksum_algorithm.as_deref())
            .opt("ChecksumType", self.checksum_type.as_deref());
    }
}

/// The ListMultipartUploads response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMultipartUploadsResult {
    /// `Bucket`
    pub bucket: String,
    /// `KeyMarker`, always present (empty when none was given).
    #[serde(default)]
    pub key_marker: String,
    /// `UploadIdMarker`, always present (empty when none was given).
    #[serde(default)]
    pub upload_id_marker: String,
    /// `NextKeyMarker`, when truncated.
    #[serde(default)]
    pub next_key_marker: Option<String>,
    /// `NextUploadIdMarker`, when truncated.
    #[serde(default)]
    pub next_upload_id_marker: Option<String>,
    /// `Delimiter`, when one was given.
    #[serde(default)]
    pub delimiter: Option<String>,
    /// `Prefix`, always present (empty when none was given).
    #[serde(default)]
    pub prefix: String,
    /// `MaxUploads`
    pub max_uploads: u32,
    /// `IsTruncated`
    pub is_truncated: bool,
    /// `Upload*`
    #[serde(rename = "Upload", default)]
    pub uploads: Vec<MultipartUpload>,
    /// `CommonPrefixes*`
    #[serde(rename = "CommonPrefixes", default)]
    pub common_prefixes: Vec<CommonPrefix>,
    /// `EncodingType`: `url` when requested.
    #[serde(default)]
    pub encoding_type: Option<String>,
}

/// One in-progress upload of a ListMultipartUploads response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MultipartUpload {
    /// `Key`
    pub key: String,
    /// `UploadId`
    pub upload_id: String,
    /// `Initiator`
    #[serde(default)]
    pub initiator: Option<Owner>,
    /// `Owner`
    #[serde(default)]
    pub owner: Option<Owner>,
    /// `StorageClass`
    pub storage_class: String,
    /// `Initiated`, ISO 8601.
    pub initiated: String,
    /// `ChecksumAlgorithm`
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
    /// `ChecksumType`
    #[serde(default)]
    pub checksum_type: Option<String>,
}

impl ToXml for ListMultipartUploadsResult {
    const ROOT: &'static str = "ListMultipartUploadsResult";
    fn write_children(&self, w: &mut XmlWriter) {
        w.elem("Bucket", &self.bucket)
            .elem("KeyMarker", &self.key_marker)
            .elem("UploadIdMarker", &self.upload_id_marker)
            .opt("NextKeyMarker", self.next_key_marker.as_deref())
            .opt("NextUploadIdMarker", self.next_upload_id_marker.as_deref())
            .opt("Delimiter", self.delimiter.as_deref())
            .elem("Prefix", &self.prefix)
            .value("MaxUploads", self.max_uploads)
            .value("IsTruncated", self.is_truncated);
        for u in &self.uploads {
            w.start("Upload")
                .elem("Key", &u.key)
                .elem("UploadId", &u.upload_id);
            if let Some(i) = &u.initiator {
                i.write(w, "Initiator");
            }
            if let Some(o) = &u.owner {
                o.write(w, "Owner");
            }
            w.elem("StorageClass", &u.storage_class)
                .elem("Initiated", &u.initiated)
                .opt("ChecksumAlgorithm", u.checksum_algorithm.as_deref())
                .opt("ChecksumType", u.checksum_type.as_deref())
                .end("Upload");
        }
        CommonPrefix::write_all(&self.common_prefixes, w);
        w.opt("EncodingType", self.encoding_type.as_deref());
    }
}
