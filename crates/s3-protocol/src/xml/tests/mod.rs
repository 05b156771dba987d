#![allow(clippy::unwrap_used)]

use super::*;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

pub(super) const NS: &str = "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

/// Renders `doc`, checks the prolog, root and namespace, parses it back and
/// compares. Returns the rendered XML.
pub(super) fn roundtrip<T: ToXml + DeserializeOwned + PartialEq + Debug>(doc: &T) -> String {
    let xml = to_xml(doc);
    let head = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{} {NS}",
        T::ROOT
    );
    assert!(xml.starts_with(&head), "{xml}");
    let back: T = from_xml(xml.as_bytes()).unwrap();
    assert_eq!(&back, doc, "{xml}");
    xml
}

/// The document without prolog and root.
pub(super) fn body<T: ToXml>(doc: &T) -> String {
    let mut w = XmlWriter::new();
    doc.write_children(&mut w);
    w.finish()
}

pub(super) fn owner() -> Owner {
    Owner {
        id: "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a".into(),
        display_name: "mtd@amazon.com".into(),
    }
}

pub(super) fn code<T: Debug>(r: Result<T, S3Error>) -> S3ErrorCode {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.code,
    }
}

mod bucket;
mod cors;
mod delete;
mod list;
mod multipart;
mod notification;
mod versions;
mod website;
