//! The XML documents of the S3 API, one struct per AWS document, with
//! fields named after the AWS elements (snake_case in Rust, the AWS name in
//! the XML).
//!
//! Responses implement [`ToXml`] and are rendered with [`to_xml`]: the
//! `<?xml version="1.0" encoding="UTF-8"?>` prolog, then the root element
//! with `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`, children in the
//! order AWS writes them. `Option` fields are omitted when `None`. Timestamps
//! are given already formatted (see [`crate::fmt::iso8601_millis`]); ETags
//! already quoted (see [`crate::fmt::quote_etag`]); for `encoding-type=url`
//! listings the caller encodes keys and prefixes (see
//! [`crate::fmt::url_encode_key`]).
//!
//! Requests implement `serde::Deserialize` and are parsed with
//! [`from_xml`], which accepts the `xmlns` attribute, whitespace between
//! elements and unknown elements, and maps every failure to `MalformedXML`.
//! Request types with extra rules have a `parse` constructor
//! ([`CreateBucketConfiguration::parse`], [`Delete::parse`],
//! [`CompleteMultipartUpload::parse`], [`CorsConfiguration::parse`],
//! [`WebsiteConfiguration::parse`],
//! [`NotificationConfiguration::parse`]): use those.

mod acl;
mod bucket;
mod common;
mod copy;
mod cors;
mod delete;
mod list;
mod multipart;
mod notification;
mod replication;
mod versions;
mod website;
mod writer;

pub use acl::{AccessControlPolicy, XmlGrant, XmlGrantee};
pub use bucket::{
    Bucket, CreateBucketConfiguration, ListAllMyBucketsResult, LocationConstraint,
    VersioningConfiguration,
};
pub use common::{CommonPrefix, Owner};
pub use copy::{CopyObjectResult, CopyPartResult};
pub use cors::{wildcard_match, CorsConfiguration, CorsRule, CORS_METHODS, MAX_CORS_RULES};
pub use delete::{
    Delete, DeleteError, DeleteResult, DeletedObject, ObjectIdentifier, MAX_DELETE_OBJECTS,
};
pub use list::{ListBucketResult, ListBucketResultV2, Object};
pub use multipart::{
    CompleteMultipartUpload, CompleteMultipartUploadResult, CompletedPart,
    InitiateMultipartUploadResult, ListMultipartUploadsResult, ListPartsResult, MultipartUpload,
    Part, MAX_PARTS,
};
pub use notification::{NotificationConfiguration, MAX_NOTIFICATION_RULES};
pub use replication::{ReplicationConfiguration, MAX_REPLICATION_RULES};
pub use versions::{ListVersionsResult, ObjectVersion};
pub use website::{
    Condition, ErrorDocument, IndexDocument, Redirect, RedirectAllRequestsTo, RoutingRule,
    WebsiteConfiguration, MAX_ROUTING_RULES,
};
pub use writer::XmlWriter;

use crate::error::{S3Error, S3ErrorCode};
use serde::de::DeserializeOwned;

/// The namespace of every S3 response document.
pub const S3_XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The XML prolog S3 starts its documents with.
pub const XML_PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// A response document.
pub trait ToXml {
    /// The root element, e.g. `ListBucketResult`.
    const ROOT: &'static str;
    /// Writes the children of the root element.
    fn write_children(&self, w: &mut XmlWriter);
}

/// Renders a response document: prolog, root element with the S3
/// namespace, children. A root without children is written as an empty
/// element (`<VersioningConfiguration xmlns="..."/>`), as AWS does.
pub fn to_xml<T: ToXml>(doc: &T) -> String {
    let mut w = XmlWriter::new();
    doc.write_children(&mut w);
    let body = w.finish();
    let mut s = String::with_capacity(
        XML_PROLOG.len() + 2 * T::ROOT.len() + S3_XMLNS.len() + body.len() + 16,
    );
    s.push_str(XML_PROLOG);
    s.push('<');
    s.push_str(T::ROOT);
    s.push_str(" xmlns=\"");
    s.push_str(S3_XMLNS);
    if body.is_empty() {
        s.push_str("\"/>");
    } else {
        s.push_str("\">");
        s.push_str(&body);
        s.push_str("</");
        s.push_str(T::ROOT);
        s.push('>');
    }
    s
}

/// Parses a request body. Any failure — an empty body, invalid UTF-8,
/// malformed XML, a missing required element, a value of the wrong type —
/// is `MalformedXML` (400). The root element's name is not checked.
///
/// Text content is trimmed of surrounding whitespace (the serde
/// deserializer of quick-xml 0.37 always trims), which is right for ETags,
/// numbers and region names but not for object keys: [`Delete::parse`]
/// therefore uses its own event-driven parser.
pub fn from_xml<T: DeserializeOwned>(body: &[u8]) -> Result<T, S3Error> {
    let text = std::str::from_utf8(body).map_err(|_| malformed())?;
    if text.trim().is_empty() {
        return Err(malformed());
    }
    quick_xml::de::from_str(text).map_err(|_| malformed())
}

/// The `MalformedXML` error.
pub(crate) fn malformed() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedXML)
}

#[cfg(test)]
mod tests;
