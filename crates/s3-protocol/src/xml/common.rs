//! Elements shared by several documents.

use super::XmlWriter;
use serde::{Deserialize, Deserializer};

/// `Owner` (and `Initiator`, same shape): the canonical user id and display
/// name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Owner {
    /// `ID`
    #[serde(rename = "ID")]
    pub id: String,
    /// `DisplayName`
    #[serde(rename = "DisplayName", default)]
    pub display_name: String,
}

impl Owner {
    /// Writes `<{element}><ID>..</ID><DisplayName>..</DisplayName></{element}>`.
    pub fn write(&self, w: &mut XmlWriter, element: &str) {
        w.start(element)
            .elem("ID", &self.id)
            .elem("DisplayName", &self.display_name)
            .end(element);
    }
}

/// `CommonPrefixes` of a listing: one rolled-up prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct CommonPrefix {
    /// `Prefix`
    #[serde(rename = "Prefix")]
    pub prefix: String,
}

impl CommonPrefix {
    /// A common prefix.
    pub fn new(prefix: impl Into<String>) -> Self {
        CommonPrefix {
            prefix: prefix.into(),
        }
    }

    pub(crate) fn write_all(list: &[CommonPrefix], w: &mut XmlWriter) {
        for p in list {
            w.start("CommonPrefixes")
                .elem("Prefix", &p.prefix)
                .end("CommonPrefixes");
        }
    }
}

/// Writes `ChecksumCRC32`, `ChecksumCRC32C`, `ChecksumCRC64NVME`,
/// `ChecksumSHA1`, `ChecksumSHA256` in that order, each only when set.
pub(crate) fn write_checksums(w: &mut XmlWriter, values: [&Option<String>; 5]) {
    const NAMES: [&str; 5] = [
        "ChecksumCRC32",
        "ChecksumCRC32C",
        "ChecksumCRC64NVME",
        "ChecksumSHA1",
        "ChecksumSHA256",
    ];
    for (name, value) in NAMES.iter().zip(values) {
        w.opt(name, value.as_deref());
    }
}

/// Deserializes a wrapper element holding repeated `T` children (e.g.
/// `<Buckets><Bucket/>...</Buckets>`) into a `Vec<T>`.
pub(crate) fn wrapped_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    struct Wrapper<T> {
        #[serde(rename = "$value", default = "Vec::new")]
        items: Vec<T>,
    }
    Ok(Wrapper::deserialize(d)?.items)
}
