//! An object's version record and the layout of its data.

use crate::{BlockId, NodeId, UnixMillis};
use serde::{Deserialize, Serialize};

/// The S3 storage classes Tessera accepts. Each maps to an erasure profile in
/// the cluster configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum StorageClass {
    #[default]
    Standard,
    ReducedRedundancy,
}

impl StorageClass {
    /// The AWS name, as sent in `x-amz-storage-class` and listings.
    pub fn as_str(&self) -> &'static str {
        match self {
            StorageClass::Standard => "STANDARD",
            StorageClass::ReducedRedundancy => "REDUCED_REDUNDANCY",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "STANDARD" => Some(StorageClass::Standard),
            "REDUCED_REDUNDANCY" => Some(StorageClass::ReducedRedundancy),
            _ => None,
        }
    }
}

/// A Reed-Solomon profile: `data` data shards plus `parity` parity shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureProfile {
    pub data: u8,
    pub parity: u8,
}

impl ErasureProfile {
    pub fn total(&self) -> usize {
        self.data as usize + self.parity as usize
    }
}

/// The additional checksum algorithms of S3 (`x-amz-checksum-*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];
    /// The AWS name, e.g. `CRC32C`, as in `x-amz-checksum-algorithm`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }
    /// The header carrying the value, e.g. `x-amz-checksum-crc32c`.
    pub fn header_name(&self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }
    /// Parses the AWS name, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str().eq_ignore_ascii_case(s))
    }
    /// Parses a header name such as `x-amz-checksum-sha256`.
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name))
    }
}

/// Whether a checksum covers the whole object, or is a checksum of the part
/// checksums of a multipart upload (`x-amz-checksum-type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ChecksumType {
    #[default]
    FullObject,
    Composite,
}

impl ChecksumType {
    pub fn as_str(&self) -> &'static str {
        match self {
            ChecksumType::FullObject => "FULL_OBJECT",
            ChecksumType::Composite => "COMPOSITE",
        }
    }
}

/// A stored checksum: the algorithm and its value, base64 as S3 shows it
/// (for composite checksums, with the `-N` suffix).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub value: String,
    #[serde(default)]
    pub kind: ChecksumType,
}

/// The standard content headers stored with an object and returned on GET.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContentHeaders {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub cache_control: Option<String>,
    pub expires: Option<String>,
}

/// Where one shard of a block lives and the blake3 hash of its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRef {
    pub node: NodeId,
    #[serde(with = "serde_bytes")]
    pub blake3: [u8; 32],
}

/// One erasure-coded block of an object's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockRef {
    pub id: BlockId,
    /// Plain (unencoded) bytes in this block.
    pub size: u64,
    pub profile: ErasureProfile,
    /// Length of each shard in bytes (the block split into `data` equal
    /// pieces, the last zero-padded).
    pub shard_len: u64,
    /// Indexed by shard number: data shards first, then parity. `None` marks
    /// a shard that could not be written (a degraded write awaiting repair).
    pub shards: Vec<Option<ShardRef>>,
}

impl BlockRef {
    /// Whether a shard could not be written (or was lost) and is recorded as
    /// `None`: the block is below full redundancy until repair fills it.
    pub fn is_degraded(&self) -> bool {
        self.shards.iter().any(Option::is_none)
    }
}

/// A contiguous piece of an object's data, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Segment {
    /// Small data kept inside the metadata record itself.
    Inline(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Data erasure-coded across storage nodes.
    Block(BlockRef),
}

impl Segment {
    pub fn len(&self) -> u64 {
        match self {
            Segment::Inline(d) => d.len() as u64,
            Segment::Block(b) => b.size,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A part of a completed multipart object: its number, size and ETag, so that
/// `GetObject?partNumber=N` can find its byte range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartInfo {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    #[serde(default)]
    pub checksum: Option<Checksum>,
}

/// The current version of an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecord {
    pub size: u64,
    /// The ETag without quotes: hex MD5, or `hex-N` for multipart objects.
    pub etag: String,
    pub last_modified: UnixMillis,
    pub owner: String,
    pub storage_class: StorageClass,
    pub content: ContentHeaders,
    /// `x-amz-meta-*` entries, names lower-cased without the prefix.
    pub user_meta: Vec<(String, String)>,
    pub checksum: Option<Checksum>,
    /// Empty unless the object was assembled by CompleteMultipartUpload.
    pub parts: Vec<PartInfo>,
    pub segments: Vec<Segment>,
    /// The multipart upload this version completed, so that a retried
    /// CompleteMultipartUpload can be answered with the same result.
    #[serde(default)]
    pub upload_id: Option<String>,
    /// Grants besides the owner's.
    #[serde(default)]
    pub acl: crate::Acl,
    /// `x-amz-replication-status`: set on objects a replication rule
    /// selects (PENDING, then COMPLETED or FAILED) and on replicas.
    #[serde(default)]
    pub replication_status: Option<crate::replication::ReplicationStatus>,
}

impl ObjectRecord {
    /// All erasure-coded blocks of the object (what GC frees when it goes).
    pub fn blocks(&self) -> impl Iterator<Item = &BlockRef> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Block(b) => Some(b),
            Segment::Inline(_) => None,
        })
    }
    pub fn summary(&self) -> ObjectSummary {
        ObjectSummary {
            size: self.size,
            etag: self.etag.clone(),
            last_modified: self.last_modified,
            owner: self.owner.clone(),
            storage_class: self.storage_class,
            checksum_algorithm: self.checksum.as_ref().map(|c| c.algorithm),
        }
    }
}

/// What a listing shows of an object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectSummary {
    pub size: u64,
    pub etag: String,
    pub last_modified: UnixMillis,
    pub owner: String,
    pub storage_class: StorageClass,
    #[serde(default)]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
}
