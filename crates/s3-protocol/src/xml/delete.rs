//! DeleteObjects: the `Delete` request and the `DeleteResult` response.

use super::{malformed, ToXml, XmlWriter};
use crate::error::S3Error;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Deserialize;

/// The most keys one DeleteObjects request may name.
pub const MAX_DELETE_OBJECTS: usize = 1000;

/// The DeleteObjects request body. Parse it with [`Delete::parse`], not
/// [`super::from_xml`]: keys must keep their surrounding whitespace, which
/// the serde deserializer of quick-xml 0.37 trims.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delete {
    /// `Quiet`: report only errors.
    pub quiet: bool,
    /// `Object*`
    pub objects: Vec<ObjectIdentifier>,
}

/// One object to delete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectIdentifier {
    /// `Key`, verbatim (surrounding whitespace is part of the key).
    pub key: String,
    /// `VersionId`
    pub version_id: Option<String>,
    /// `ETag`: delete only if the object's ETag matches.
    pub etag: Option<String>,
}

impl Delete {
    /// Parses a DeleteObjects body. `MalformedXML` when it is not a
    /// well-formed `Delete` document (any namespace, whitespace and unknown
    /// elements accepted), an `Object` has no `Key`, `Quiet` is not
    /// `true`/`false`, or it names no object or more than
    /// [`MAX_DELETE_OBJECTS`].
    pub fn parse(body: &[u8]) -> Result<Self, S3Error> {
        let text = std::str::from_utf8(body).map_err(|_| malformed())?;
        let d = parse_delete(text).ok_or_else(malformed)?;
        if d.objects.is_empty() || d.objects.len() > MAX_DELETE_OBJECTS {
            return Err(malformed());
        }
        Ok(d)
    }
}

/// Which text is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Quiet,
    Key,
    VersionId,
    ETag,
}

/// An event-driven parser, so that text is taken verbatim. `None` on any
/// error.
fn parse_delete(text: &str) -> Option<Delete> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut doc = Delete::default();
    let mut quiet: Option<String> = None;
    let mut current: Option<(Option<String>, ObjectIdentifier)> = None;
    let mut field: Option<(Field, String)> = None;
    let mut seen_root = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match (stack.len(), name.as_slice()) {
                    (0, b"Delete") if !seen_root => seen_root = true,
                    (0, _) => return None,
                    (1, b"Object") => current = Some((None, ObjectIdentifier::default())),
                    (1, b"Quiet") => field = Some((Field::Quiet, String::new())),
                    (2, n) if stack.last().is_some_and(|p| p == b"Object") => {
                        field = match n {
                            b"Key" => Some((Field::Key, String::new())),
                            b"VersionId" => Some((Field::VersionId, String::new())),
                            b"ETag" => Some((Field::ETag, String::new())),
                            _ => None,
                        }
                    }
                    _ => {}
                }
                stack.push(name);
            }
            Event::Empty(e) => match (stack.len(), e.local_name().as_ref()) {
                (0, _) => return None,
                (2, b"Key") if stack.last().is_some_and(|p| p == b"Object") => {
                    if let Some((key, _)) = current.as_mut() {
                        *key = Some(String::new());
                    }
                }
                _ => {}
            },
            Event::Text(t) => {
                let s = t.unescape().ok()?;
                match field.as_mut() {
                    Some((_, buf)) => buf.push_str(&s),
                    None if !s.trim().is_empty() && stack.is_empty() => return None,
                    None => {}
                }
            }
            Event::CData(c) => {
                let s = c.decode().ok()?;
                if let Some((_, buf)) = field.as_mut() {
                    buf.push_str(&s);
                }
            }
            Event::End(e) => {
                let name = stack.pop()?;
                if name.as_slice() != e.local_name().as_ref() {
                    return None;
                }
                match (stack.len(), name.as_slice()) {
                    (1, b"Object") => {
                        let (key, mut obj) = current.take()?;
                        obj.key = key?;
                        doc.objects.push(obj);
                        if doc.objects.len() > MAX_DELETE_OBJECTS {
                            return None;
                        }
                    }
                    (1, b"Quiet") | (2, _) => {
                        if let Some((f, value)) = field.take() {
                            match f {
                                Field::Quiet => quiet = Some(value),
                                Field::Key => {
                                    if let Some((key, _)) = current.as_mut() {
                                        *key = Some(value);
                                    }
                                }
                                Field::VersionId => {
                                    if let Some((_, o)) = current.as_mut() {
                                        o.version_id = Some(value);
                                    }
                                }
                                Field::ETag => {
                                    if let Some((_, o)) = current.as_mut() {
                                        o.etag = Some(value);
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !seen_root || !stack.is_empty() {
        return None;
    }
    doc.quiet = match quiet.as_deref().map(str::trim) {
        None => false,
        Some(q) if q.eq_ignore_ascii_case("true") => true,
        Some(q) if q.eq_ignore_ascii_case("false") => false,
        Some(_) => return None,
    };
    Some(doc)
}

impl ToXml for Delete {
    const ROOT: &'static str = "Delete";
    fn write_children(&self, w: &mut XmlWriter) {
        for o in &self.objects {
            w.start("Object")
                .elem("Key", &o.key)
                .opt("VersionId", o.version_id.as_deref())
                .opt("ETag", o.etag.as_deref())
                .end("Object");
        }
        if self.quiet {
            w.value("Quiet", true);
        }
    }
}

/// The DeleteObjects response. All `Deleted` elements are written before
/// all `Error` elements.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct DeleteResult {
    /// `Deleted*` (empty in quiet mode).
    #[serde(rename = "Deleted", default)]
    pub deleted: Vec<DeletedObject>,
    /// `Error*`
    #[serde(rename = "Error", default)]
    pub errors: Vec<DeleteError>,
}

/// A key that was deleted (or did not exist).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletedObject {
    /// `Key`
    pub key: String,
    /// `VersionId`
    #[serde(default)]
    pub version_id: Option<String>,
    /// `DeleteMarker`
    #[serde(default)]
    pub delete_marker: Option<bool>,
    /// `DeleteMarkerVersionId`
    #[serde(default)]
    pub delete_marker_version_id: Option<String>,
}

/// A key that could not be deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteError {
    /// `Key`
    pub key: String,
    /// `VersionId`
    #[serde(default)]
    pub version_id: Option<String>,
    /// `Code`, an S3 error code such as `AccessDenied`.
    pub code: String,
    /// `Message`
    pub message: String,
}

impl ToXml for DeleteResult {
    const ROOT: &'static str = "DeleteResult";
    fn write_children(&self, w: &mut XmlWriter) {
        for d in &self.deleted {
            w.start("Deleted")
                .elem("Key", &d.key)
                .opt("VersionId", d.version_id.as_deref())
                .opt_value("DeleteMarker", d.delete_marker)
                .opt(
                    "DeleteMarkerVersionId",
                    d.delete_marker_version_id.as_deref(),
                )
                .end("Deleted");
        }
        for e in &self.errors {
            w.start("Error")
                .elem("Key", &e.key)
                .opt("VersionId", e.version_id.as_deref())
                .elem("Code", &e.code)
                .elem("Message", &e.message)
                .end("Error");
        }
    }
}
