//! PutBucketReplication / GetBucketReplication: the
//! `ReplicationConfiguration` document and its validation. `Role` is
//! accepted and kept; destination `Account`, `AccessControlTranslation`,
//! `EncryptionConfiguration`, `ReplicationTime`, `Metrics` and
//! `SourceSelectionCriteria` are refused as not supported.

use super::{from_xml, malformed, ToXml, XmlWriter};
use crate::error::{S3Error, S3ErrorCode};
use serde::de::IgnoredAny;
use serde::Deserialize;
use tessera_types::replication::{ReplicationConfig, ReplicationRule};
use tessera_types::StorageClass;

/// The most rules one configuration may hold.
pub const MAX_REPLICATION_RULES: usize = 1000;

/// The document, parsed and validated by [`ReplicationConfiguration::parse`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicationConfiguration(pub ReplicationConfig);

#[derive(Deserialize)]
struct RawConfiguration {
    #[serde(rename = "Role", default)]
    role: String,
    #[serde(rename = "Rule", default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
struct RawRule {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "Priority", default)]
    priority: Option<i32>,
    #[serde(rename = "Status")]
    status: String,
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "Filter", default)]
    filter: Option<RawFilter>,
    #[serde(rename = "DeleteMarkerReplication", default)]
    delete_markers: Option<RawStatus>,
    #[serde(rename = "Destination")]
    destination: RawDestination,
    #[serde(rename = "SourceSelectionCriteria", default)]
    source_selection: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawFilter {
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "And", default)]
    and: Option<RawAnd>,
    #[serde(rename = "Tag", default)]
    tag: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawAnd {
    #[serde(rename = "Prefix", default)]
    prefix: Option<String>,
    #[serde(rename = "Tag", default)]
    tags: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawStatus {
    #[serde(rename = "Status")]
    status: String,
}

#[derive(Deserialize)]
struct RawDestination {
    #[serde(rename = "Bucket")]
    bucket: String,
    #[serde(rename = "StorageClass", default)]
    storage_class: Option<String>,
    #[serde(rename = "Account", default)]
    account: Option<IgnoredAny>,
    #[serde(rename = "AccessControlTranslation", default)]
    access_control: Option<IgnoredAny>,
    #[serde(rename = "EncryptionConfiguration", default)]
    encryption: Option<IgnoredAny>,
    #[serde(rename = "ReplicationTime", default)]
    replication_time: Option<IgnoredAny>,
    #[serde(rename = "Metrics", default)]
    metrics: Option<IgnoredAny>,
}

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

fn unsupported(what: &str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NotImplemented,
        format!("{what} is not supported in replication rules by Tessera."),
    )
}

fn enabled(status: &str) -> Result<bool, S3Error> {
    match status {
        "Enabled" => Ok(true),
        "Disabled" => Ok(false),
        _ => Err(malformed()),
    }
}

impl ReplicationConfiguration {
    /// Parses and validates a PutBucketReplication body for `bucket`.
    pub fn parse(body: &[u8], bucket: &str) -> Result<Self, S3Error> {
        let raw: RawConfiguration = from_xml(body)?;
        if raw.rules.is_empty() || raw.rules.len() > MAX_REPLICATION_RULES {
            return Err(malformed());
        }
        let mut rules = Vec::with_capacity(raw.rules.len());
        for (n, r) in raw.rules.into_iter().enumerate() {
            if r.source_selection.is_some() {
                return Err(unsupported("SourceSelectionCriteria"));
            }
            let d = &r.destination;
            for (present, what) in [
                (d.account.is_some(), "Destination Account"),
                (d.access_control.is_some(), "AccessControlTranslation"),
                (d.encryption.is_some(), "EncryptionConfiguration"),
                (d.replication_time.is_some(), "ReplicationTime"),
                (d.metrics.is_some(), "Metrics"),
            ] {
                if present {
                    return Err(unsupported(what));
                }
            }
            let destination_bucket = d
                .bucket
                .strip_prefix("arn:aws:s3:::")
                .filter(|b| !b.is_empty() && !b.contains('/'))
                .ok_or_else(|| invalid("Invalid bucket ARN."))?
                .to_string();
            if destination_bucket == bucket {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidRequest,
                    "Destination bucket cannot be the same as the source bucket.",
                ));
            }
            let storage_class = match &d.storage_class {
                None => None,
                Some(c) => Some(
                    StorageClass::parse(c)
                        .ok_or_else(|| invalid(format!("Invalid storage class {c}.")))?,
                ),
            };
            let filter_tagged = r.filter.as_ref().is_some_and(|f| {
                f.tag.is_some() || f.and.as_ref().is_some_and(|a| !a.tags.is_empty())
            });
            if filter_tagged {
                return Err(unsupported("A tag filter"));
            }
            let prefix = match (&r.prefix, &r.filter) {
                (Some(_), Some(_)) => return Err(malformed()),
                (Some(p), None) => p.clone(),
                (None, Some(f)) => f
                    .prefix
                    .clone()
                    .or_else(|| f.and.as_ref().and_then(|a| a.prefix.clone()))
                    .unwrap_or_default(),
                (None, None) => String::new(),
            };
            let id = r.id.unwrap_or_else(|| format!("rule-{}", n + 1));
            if id.len() > 255 {
                return Err(invalid("The ID is longer than 255 characters."));
            }
            let replicate_deletes = match &r.delete_markers {
                Some(s) => enabled(&s.status)?,
                None => false,
            };
            rules.push(ReplicationRule {
                id,
                priority: r.priority,
                enabled: enabled(&r.status)?,
                prefix,
                destination_bucket,
                storage_class,
                replicate_deletes,
            });
        }
        for (i, a) in rules.iter().enumerate() {
            for b in &rules[i + 1..] {
                if a.id == b.id {
                    return Err(invalid("Rule Id must be unique."));
                }
                if a.priority.is_some() && a.priority == b.priority {
                    return Err(invalid(
                        "Found two rules with same priority for the same destination.",
                    ));
                }
            }
        }
        Ok(ReplicationConfiguration(ReplicationConfig {
            role: raw.role,
            rules,
        }))
    }
}

impl ToXml for ReplicationConfiguration {
    const ROOT: &'static str = "ReplicationConfiguration";
    fn write_children(&self, w: &mut XmlWriter) {
        let c = &self.0;
        w.elem("Role", &c.role);
        for r in &c.rules {
            w.start("Rule").elem("ID", &r.id);
            let status = |on: bool| if on { "Enabled" } else { "Disabled" };
            match r.priority {
                // The newer schema: Priority, Filter, DeleteMarkerReplication.
                Some(p) => {
                    w.value("Priority", p)
                        .start("Filter")
                        .elem("Prefix", &r.prefix)
                        .end("Filter")
                        .elem("Status", status(r.enabled))
                        .start("DeleteMarkerReplication")
                        .elem("Status", status(r.replicate_deletes))
                        .end("DeleteMarkerReplication");
                }
                None => {
                    w.elem("Prefix", &r.prefix)
                        .elem("Status", status(r.enabled));
                }
            }
            w.start("Destination")
                .elem("Bucket", &format!("arn:aws:s3:::{}", r.destination_bucket))
                .opt("StorageClass", r.storage_class.map(|c| c.as_str()))
                .end("Destination")
                .end("Rule");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::to_xml;

    const DOC: &str = r#"<ReplicationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Role>arn:aws:iam::123456789012:role/replication</Role>
  <Rule>
    <ID>logs</ID><Priority>2</Priority><Status>Enabled</Status>
    <Filter><Prefix>logs/</Prefix></Filter>
    <DeleteMarkerReplication><Status>Enabled</Status></DeleteMarkerReplication>
    <Destination><Bucket>arn:aws:s3:::backup</Bucket><StorageClass>REDUCED_REDUNDANCY</StorageClass></Destination>
  </Rule>
  <Rule>
    <ID>all</ID><Priority>1</Priority><Status>Disabled</Status>
    <Filter/>
    <DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>
    <Destination><Bucket>arn:aws:s3:::archive</Bucket></Destination>
  </Rule>
</ReplicationConfiguration>"#;

    #[test]
    fn parses_renders_and_round_trips() {
        let c = ReplicationConfiguration::parse(DOC.as_bytes(), "src").unwrap();
        let r = &c.0.rules[0];
        assert_eq!(c.0.role, "arn:aws:iam::123456789012:role/replication");
        assert_eq!((r.id.as_str(), r.prefix.as_str()), ("logs", "logs/"));
        assert_eq!(r.destination_bucket, "backup");
        assert_eq!(r.storage_class, Some(StorageClass::ReducedRedundancy));
        assert!(r.enabled && r.replicate_deletes);
        assert!(!c.0.rules[1].enabled);
        let again = ReplicationConfiguration::parse(to_xml(&c).as_bytes(), "src").unwrap();
        assert_eq!(again, c);
        // The older schema: a top-level Prefix, no priority.
        let old = br#"<ReplicationConfiguration><Role>r</Role><Rule><ID>x</ID><Prefix>a/</Prefix>
            <Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination></Rule>
            </ReplicationConfiguration>"#;
        let c = ReplicationConfiguration::parse(old, "src").unwrap();
        assert_eq!(c.0.rules[0].prefix, "a/");
        assert_eq!(
            ReplicationConfiguration::parse(to_xml(&c).as_bytes(), "src").unwrap(),
            c
        );
    }

    #[test]
    fn refuses_what_is_invalid_or_unsupported() {
        let rule = |inner: &str| {
            format!(
                "<ReplicationConfiguration><Role>r</Role><Rule><ID>x</ID><Status>Enabled</Status>{inner}</Rule></ReplicationConfiguration>"
            )
        };
        let dst = "<Destination><Bucket>arn:aws:s3:::dst</Bucket></Destination>";
        let cases = [
            ("<ReplicationConfiguration><Role>r</Role></ReplicationConfiguration>".to_string(), S3ErrorCode::MalformedXML),
            (rule("<Destination><Bucket>dst</Bucket></Destination>"), S3ErrorCode::InvalidArgument),
            (rule("<Destination><Bucket>arn:aws:s3:::src</Bucket></Destination>"), S3ErrorCode::InvalidRequest),
            (rule("<Destination><Bucket>arn:aws:s3:::dst</Bucket><Account>1</Account></Destination>"), S3ErrorCode::NotImplemented),
            (rule("<Destination><Bucket>arn:aws:s3:::dst</Bucket><AccessControlTranslation><Owner>Destination</Owner></AccessControlTranslation></Destination>"), S3ErrorCode::NotImplemented),
            (rule(&format!("<SourceSelectionCriteria/>{dst}")), S3ErrorCode::NotImplemented),
            (rule(&format!("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>{dst}")), S3ErrorCode::NotImplemented),
            (rule("<Destination><Bucket>arn:aws:s3:::dst</Bucket><StorageClass>GLACIER</StorageClass></Destination>"), S3ErrorCode::InvalidArgument),
            (format!("<ReplicationConfiguration><Role>r</Role><Rule><ID>x</ID><Status>Maybe</Status>{dst}</Rule></ReplicationConfiguration>"), S3ErrorCode::MalformedXML),
            (format!("<ReplicationConfiguration><Role>r</Role><Rule><ID>x</ID><Status>Enabled</Status>{dst}</Rule><Rule><ID>x</ID><Status>Enabled</Status>{dst}</Rule></ReplicationConfiguration>"), S3ErrorCode::InvalidArgument),
        ];
        for (doc, code) in cases {
            let e = ReplicationConfiguration::parse(doc.as_bytes(), "src").unwrap_err();
            assert_eq!(e.code, code, "{doc}");
        }
    }
}
