//! Bucket documents: ListBuckets, GetBucketLocation, GetBucketVersioning,
//! CreateBucket.

use super::common::{wrapped_list, Owner};
use super::{from_xml, ToXml, XmlWriter};
use crate::error::S3Error;
use serde::Deserialize;

/// The ListBuckets response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAllMyBucketsResult {
    /// `Owner`
    pub owner: Owner,
    /// `Buckets/Bucket*`
    #[serde(deserialize_with = "wrapped_list", default)]
    pub buckets: Vec<Bucket>,
    /// `ContinuationToken`, when the listing is paginated.
    #[serde(default)]
    pub continuation_token: Option<String>,
    /// `Prefix`, echoing the request's `prefix`.
    #[serde(default)]
    pub prefix: Option<String>,
}

/// One bucket of a ListBuckets response.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    /// `Name`
    pub name: String,
    /// `CreationDate`, ISO 8601.
    pub creation_date: String,
    /// `BucketRegion`
    #[serde(default)]
    pub bucket_region: Option<String>,
}

impl ToXml for ListAllMyBucketsResult {
    const ROOT: &'static str = "ListAllMyBucketsResult";
    fn write_children(&self, w: &mut XmlWriter) {
        self.owner.write(w, "Owner");
        w.start("Buckets");
        for b in &self.buckets {
            w.start("Bucket")
                .elem("Name", &b.name)
                .elem("CreationDate", &b.creation_date)
                .opt("BucketRegion", b.bucket_region.as_deref())
                .end("Bucket");
        }
        w.end("Buckets")
            .opt("ContinuationToken", self.continuation_token.as_deref())
            .opt("Prefix", self.prefix.as_deref());
    }
}

/// The GetBucketLocation response: the region as the root's text, or an
/// empty element for `us-east-1` (and `None`), as AWS answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct LocationConstraint {
    /// The region.
    #[serde(rename = "$text", default)]
    pub location_constraint: Option<String>,
}

impl ToXml for LocationConstraint {
    const ROOT: &'static str = "LocationConstraint";
    fn write_children(&self, w: &mut XmlWriter) {
        match self.location_constraint.as_deref() {
            None | Some("") | Some("us-east-1") => {}
            Some(region) => {
                w.text(region);
            }
        }
    }
}

/// The GetBucketVersioning response; empty for a bucket that never had
/// versioning enabled (all Tessera buckets today).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    /// `Status`: `Enabled` or `Suspended`.
    #[serde(default)]
    pub status: Option<String>,
    /// `MfaDelete`: `Enabled` or `Disabled`.
    #[serde(default)]
    pub mfa_delete: Option<String>,
}

impl ToXml for VersioningConfiguration {
    const ROOT: &'static str = "VersioningConfiguration";
    fn write_children(&self, w: &mut XmlWriter) {
        w.opt("Status", self.status.as_deref())
            .opt("MfaDelete", self.mfa_delete.as_deref());
    }
}

/// The CreateBucket request body (optional).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBucketConfiguration {
    /// `LocationConstraint`: the region to create the bucket in.
    #[serde(default)]
    pub location_constraint: Option<String>,
}

impl CreateBucketConfiguration {
    /// Parses a CreateBucket body. An empty (or all-whitespace) body is the
    /// default configuration; anything else must be a well-formed document,
    /// else `MalformedXML`.
    pub fn parse(body: &[u8]) -> Result<Self, S3Error> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        from_xml(body)
    }
}

impl ToXml for CreateBucketConfiguration {
    const ROOT: &'static str = "CreateBucketConfiguration";
    fn write_children(&self, w: &mut XmlWriter) {
        w.opt("LocationConstraint", self.location_constraint.as_deref());
    }
}
