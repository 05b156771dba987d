//! `AccessControlPolicy`: the document of GetBucketAcl / GetObjectAcl and
//! the body of PutBucketAcl / PutObjectAcl.

use super::common::Owner;
use super::{ToXml, XmlWriter};
use crate::error::{S3Error, S3ErrorCode};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Who a grant names, as the XML spells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XmlGrantee {
    /// `xsi:type="CanonicalUser"` with `ID` (and `DisplayName`).
    CanonicalUser { id: String, display_name: String },
    /// `xsi:type="Group"` with `URI`.
    Group { uri: String },
    /// `xsi:type="AmazonCustomerByEmail"` with `EmailAddress`.
    Email { address: String },
}

/// One `Grant`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlGrant {
    pub grantee: XmlGrantee,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`, as sent.
    pub permission: String,
}

/// The whole document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessControlPolicy {
    pub owner: Owner,
    pub grants: Vec<XmlGrant>,
}

impl ToXml for AccessControlPolicy {
    const ROOT: &'static str = "AccessControlPolicy";
    fn write_children(&self, w: &mut XmlWriter) {
        self.owner.write(w, "Owner");
        w.start("AccessControlList");
        for g in &self.grants {
            w.start("Grant");
            match &g.grantee {
                XmlGrantee::CanonicalUser { id, display_name } => {
                    w.start_attrs(
                        "Grantee",
                        &[("xmlns:xsi", XSI_NS), ("xsi:type", "CanonicalUser")],
                    )
                    .elem("ID", id)
                    .elem("DisplayName", display_name);
                }
                XmlGrantee::Group { uri } => {
                    w.start_attrs("Grantee", &[("xmlns:xsi", XSI_NS), ("xsi:type", "Group")])
                        .elem("URI", uri);
                }
                XmlGrantee::Email { address } => {
                    w.start_attrs(
                        "Grantee",
                        &[("xmlns:xsi", XSI_NS), ("xsi:type", "AmazonCustomerByEmail")],
                    )
                    .elem("EmailAddress", address);
                }
            }
            w.end("Grantee")
                .elem("Permission", &g.permission)
                .end("Grant");
        }
        w.end("AccessControlList");
    }
}

fn malformed_acl() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedACLError)
}

/// The grantee being read: its type and fields.
#[derive(Default)]
struct Partial {
    kind: Option<String>,
    id: Option<String>,
    display_name: Option<String>,
    uri: Option<String>,
    email: Option<String>,
    permission: Option<String>,
}

impl Partial {
    fn finish(self) -> Option<XmlGrant> {
        let grantee = match self.kind.as_deref()? {
            "CanonicalUser" => XmlGrantee::CanonicalUser {
                id: self.id?,
                display_name: self.display_name.unwrap_or_default(),
            },
            "Group" => XmlGrantee::Group { uri: self.uri? },
            "AmazonCustomerByEmail" => XmlGrantee::Email {
                address: self.email?,
            },
            _ => return None,
        };
        Some(XmlGrant {
            grantee,
            permission: self.permission?,
        })
    }
}

/// The `type` attribute (in whatever prefix the XSI namespace got).
fn grantee_type(e: &BytesStart<'_>) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == b"type")
            .then(|| String::from_utf8_lossy(&a.value).into_owned())
    })
}

impl AccessControlPolicy {
    /// Parses a PutBucketAcl / PutObjectAcl body. Not XML at all is
    /// `MalformedXML`; XML that is not a valid policy (a grant without a
    /// grantee type, ID, URI or permission) is `MalformedACLError`.
    pub fn parse(body: &[u8]) -> Result<AccessControlPolicy, S3Error> {
        let text = std::str::from_utf8(body).map_err(|_| super::malformed())?;
        if text.trim().is_empty() {
            return Err(super::malformed());
        }
        let mut reader = Reader::from_str(text);
        let mut path: Vec<Vec<u8>> = Vec::new();
        let mut doc = AccessControlPolicy::default();
        let mut grant: Option<Partial> = None;
        let mut seen_root = false;
        loop {
            let event = reader.read_event().map_err(|_| super::malformed())?;
            match event {
                Event::Start(e) => {
                    let name = e.local_name().as_ref().to_vec();
                    if path.is_empty() {
                        if seen_root || name != b"AccessControlPolicy" {
                            return Err(malformed_acl());
                        }
                        seen_root = true;
                    }
                    if name == b"Grant" {
                        grant = Some(Partial::default());
                    }
                    if name == b"Grantee" {
                        if let Some(g) = grant.as_mut() {
                            g.kind = grantee_type(&e);
                        }
                    }
                    path.push(name);
                }
                Event::Empty(_) if path.is_empty() => return Err(malformed_acl()),
                Event::Text(t) => {
                    let value = t.unescape().map_err(|_| super::malformed())?;
                    let value = value.trim().to_string();
                    if value.is_empty() {
                        continue;
                    }
                    let names: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
                    match names.as_slice() {
                        [_, b"Owner", b"ID"] => doc.owner.id = value,
                        [_, b"Owner", b"DisplayName"] => doc.owner.display_name = value,
                        [.., b"Grant", b"Grantee", field] => {
                            if let Some(g) = grant.as_mut() {
                                match *field {
                                    b"ID" => g.id = Some(value),
                                    b"DisplayName" => g.display_name = Some(value),
                                    b"URI" => g.uri = Some(value),
                                    b"EmailAddress" => g.email = Some(value),
                                    _ => {}
                                }
                            }
                        }
                        [.., b"Grant", b"Permission"] => {
                            if let Some(g) = grant.as_mut() {
                                g.permission = Some(value);
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) => {
                    let name = path.pop().ok_or_else(super::malformed)?;
                    if name.as_slice() != e.local_name().as_ref() {
                        return Err(super::malformed());
                    }
                    if name == b"Grant" {
                        let g = grant.take().ok_or_else(malformed_acl)?;
                        doc.grants.push(g.finish().ok_or_else(malformed_acl)?);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if !seen_root || !path.is_empty() {
            return Err(super::malformed());
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::to_xml;

    #[test]
    fn round_trip() {
        let doc = AccessControlPolicy {
            owner: Owner {
                id: "OWNER".into(),
                display_name: "owner".into(),
            },
            grants: vec![
                XmlGrant {
                    grantee: XmlGrantee::CanonicalUser {
                        id: "OWNER".into(),
                        display_name: "owner".into(),
                    },
                    permission: "FULL_CONTROL".into(),
                },
                XmlGrant {
                    grantee: XmlGrantee::Group {
                        uri: "http://acs.amazonaws.com/groups/global/AllUsers".into(),
                    },
                    permission: "READ".into(),
                },
            ],
        };
        let xml = to_xml(&doc);
        assert!(xml.contains(r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>"#));
        assert_eq!(AccessControlPolicy::parse(xml.as_bytes()).unwrap(), doc);
    }

    #[test]
    fn other_prefixes_and_errors() {
        let doc = br#"<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList>
            <Grant><Grantee xmlns:x="http://www.w3.org/2001/XMLSchema-instance" x:type="CanonicalUser"><ID>bob</ID></Grantee>
            <Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#;
        let p = AccessControlPolicy::parse(doc).unwrap();
        assert_eq!(
            p.grants[0].grantee,
            XmlGrantee::CanonicalUser {
                id: "bob".into(),
                display_name: String::new()
            }
        );
        let no_type = br#"<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>bob</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#;
        assert_eq!(
            AccessControlPolicy::parse(no_type).unwrap_err().code,
            S3ErrorCode::MalformedACLError
        );
        assert_eq!(
            AccessControlPolicy::parse(b"<nope").unwrap_err().code,
            S3ErrorCode::MalformedXML
        );
        assert_eq!(
            AccessControlPolicy::parse(b"<Other/>").unwrap_err().code,
            S3ErrorCode::MalformedACLError
        );
    }
}
