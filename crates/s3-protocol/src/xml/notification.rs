//! PutBucketNotificationConfiguration / GetBucketNotificationConfiguration:
//! the `NotificationConfiguration` document and its validation. Only
//! `TopicConfiguration` destinations (webhook topics) are supported; the
//! older documents of the 2006 API, which hold `TopicConfiguration`
//! elements only, parse the same way.

use super::{from_xml, ToXml, XmlWriter};
use crate::error::{S3Error, S3ErrorCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::IgnoredAny;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tessera_types::events::{topic_name_from_arn, EventName, NotificationConfig, NotificationRule};

/// The most `TopicConfiguration`s one document may hold.
pub const MAX_NOTIFICATION_RULES: usize = 100;

/// The PutBucketNotificationConfiguration request and
/// GetBucketNotificationConfiguration response. Parse it with
/// [`NotificationConfiguration::parse`], which validates it and gives every
/// rule an `Id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotificationConfiguration {
    /// The `TopicConfiguration`s; each rule's `topic` is the name part of
    /// its ARN.
    pub rules: Vec<NotificationRule>,
}

#[derive(Deserialize)]
struct RawConfiguration {
    #[serde(rename = "TopicConfiguration", default)]
    topics: Vec<RawTopic>,
    #[serde(rename = "QueueConfiguration", default)]
    queues: Vec<IgnoredAny>,
    #[serde(rename = "CloudFunctionConfiguration", default)]
    cloud_functions: Vec<IgnoredAny>,
    #[serde(rename = "LambdaFunctionConfiguration", default)]
    lambdas: Vec<IgnoredAny>,
    #[serde(rename = "EventBridgeConfiguration", default)]
    event_bridge: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
struct RawTopic {
    #[serde(rename = "Id", default)]
    id: Option<String>,
    #[serde(rename = "Topic")]
    topic: String,
    #[serde(rename = "Event", default)]
    events: Vec<String>,
    #[serde(rename = "Filter", default)]
    filter: Option<RawFilter>,
}

#[derive(Deserialize)]
struct RawFilter {
    #[serde(rename = "S3Key", default)]
    key: Option<RawS3Key>,
}

#[derive(Deserialize)]
struct RawS3Key {
    #[serde(rename = "FilterRule", default)]
    rules: Vec<RawFilterRule>,
}

#[derive(Deserialize)]
struct RawFilterRule {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value", default)]
    value: String,
}

fn invalid(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

fn invalid_arg(message: impl Into<String>, name: &'static str, value: &str) -> S3Error {
    invalid(message)
        .extra("ArgumentName", name)
        .extra("ArgumentValue", value)
}

impl NotificationConfiguration {
    /// Parses and validates a PutBucketNotificationConfiguration body.
    /// `MalformedXML` for a document that is not well formed or has a
    /// `TopicConfiguration` without `Topic` or `Event`; `InvalidArgument`
    /// for a queue, Lambda or EventBridge destination (not supported), an
    /// unknown event name, a topic ARN not of the form
    /// `arn:aws:sns:REGION:ACCOUNT:NAME`, a filter rule other than
    /// `prefix`/`suffix` or given twice, two rules with the same `Id`, and
    /// two rules that share an event type with overlapping key filters.
    /// Rules without `Id` are given one, as AWS does. An empty document
    /// (no rule) clears the configuration.
    pub fn parse(body: &[u8]) -> Result<Self, S3Error> {
        let raw: RawConfiguration = from_xml(body)?;
        for (present, element) in [
            (!raw.queues.is_empty(), "QueueConfiguration"),
            (
                !raw.cloud_functions.is_empty(),
                "CloudFunctionConfiguration",
            ),
            (!raw.lambdas.is_empty(), "LambdaFunctionConfiguration"),
            (!raw.event_bridge.is_empty(), "EventBridgeConfiguration"),
        ] {
            if present {
                return Err(invalid_arg(
                    format!(
                        "{element} is not supported: only TopicConfiguration destinations are supported"
                    ),
                    "NotificationConfiguration",
                    element,
                ));
            }
        }
        if raw.topics.len() > MAX_NOTIFICATION_RULES {
            return Err(invalid(format!(
                "A notification configuration may hold at most {MAX_NOTIFICATION_RULES} TopicConfigurations"
            )));
        }
        let mut rules = Vec::with_capacity(raw.topics.len());
        for (index, t) in raw.topics.into_iter().enumerate() {
            rules.push(rule_from_raw(index, t)?);
        }
        let doc = NotificationConfiguration { rules };
        doc.validate()?;
        Ok(doc)
    }

    /// The checks across rules: distinct `Id`s, no overlap.
    fn validate(&self) -> Result<(), S3Error> {
        for (i, a) in self.rules.iter().enumerate() {
            for b in &self.rules[i + 1..] {
                if a.id == b.id {
                    return Err(invalid_arg(
                        "Same ID used for multiple configurations",
                        "Id",
                        &a.id,
                    ));
                }
                if rules_overlap(a, b) {
                    return Err(invalid_arg(
                        "Configurations overlap. Configurations on the same bucket cannot share a common event type.",
                        "Event",
                        &b.id,
                    ));
                }
            }
        }
        Ok(())
    }

    /// The configuration to store: `None` for an empty document.
    pub fn into_config(self) -> Option<NotificationConfig> {
        (!self.rules.is_empty()).then_some(NotificationConfig { rules: self.rules })
    }
}

impl From<NotificationConfig> for NotificationConfiguration {
    fn from(c: NotificationConfig) -> Self {
        NotificationConfiguration { rules: c.rules }
    }
}

fn rule_from_raw(index: usize, t: RawTopic) -> Result<NotificationRule, S3Error> {
    let Some(name) = topic_name_from_arn(&t.topic) else {
        return Err(invalid_arg(
            "The topic ARN is not valid: expected arn:aws:sns:REGION:ACCOUNT:NAME",
            "Topic",
            &t.topic,
        ));
    };
    if t.events.is_empty() {
        return Err(super::malformed());
    }
    if let Some(e) = t.events.iter().find(|e| !EventName::valid_pattern(e)) {
        return Err(invalid_arg(
            "The event is not supported for notifications",
            "Event",
            e,
        ));
    }
    let (mut prefix, mut suffix) = (None, None);
    for r in t
        .filter
        .and_then(|f| f.key)
        .map(|k| k.rules)
        .unwrap_or_default()
    {
        let slot = if r.name.eq_ignore_ascii_case("prefix") {
            &mut prefix
        } else if r.name.eq_ignore_ascii_case("suffix") {
            &mut suffix
        } else {
            return Err(invalid_arg(
                "filter rule name must be either prefix or suffix",
                "FilterRule",
                &r.name,
            ));
        };
        if slot.is_some() {
            return Err(invalid_arg(
                format!(
                    "Cannot specify more than one {} rule in a filter.",
                    r.name.to_ascii_lowercase()
                ),
                "FilterRule",
                &r.name,
            ));
        }
        *slot = Some(r.value);
    }
    let mut events = t.events;
    let mut seen = std::collections::HashSet::new();
    events.retain(|e| seen.insert(e.clone()));
    let mut rule = NotificationRule {
        id: String::new(),
        topic: name.to_string(),
        topic_arn: t.topic.clone(),
        events,
        prefix,
        suffix,
    };
    rule.id = match t.id.filter(|id| !id.is_empty()) {
        Some(id) => id,
        None => generated_id(index, &rule),
    };
    Ok(rule)
}

/// An `Id` for a rule given without one: derived from the rule and its
/// position, so the same document always gets the same ids.
fn generated_id(index: usize, rule: &NotificationRule) -> String {
    let mut h = Sha256::new();
    h.update(index.to_le_bytes());
    for part in [
        &rule.topic_arn,
        &rule.events.join(","),
        &format!("{:?}/{:?}", rule.prefix, rule.suffix),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    STANDARD.encode(&h.finalize()[..27])
}

/// Whether a pattern (`s3:ObjectCreated:*` or a name) selects `event`.
fn pattern_selects(pattern: &str, event: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => event.starts_with(prefix),
        None => pattern == event,
    }
}

/// Whether two rules could both select one event on one key: a common
/// event type, and key filters some key satisfies both of.
fn rules_overlap(a: &NotificationRule, b: &NotificationRule) -> bool {
    let common_event = EventName::ALL.iter().any(|e| {
        a.events.iter().any(|p| pattern_selects(p, e.as_str()))
            && b.events.iter().any(|p| pattern_selects(p, e.as_str()))
    });
    let fixes_overlap = |x: &Option<String>, y: &Option<String>, prefix: bool| match (x, y) {
        (Some(x), Some(y)) if prefix => x.starts_with(y.as_str()) || y.starts_with(x.as_str()),
        (Some(x), Some(y)) => x.ends_with(y.as_str()) || y.ends_with(x.as_str()),
        _ => true,
    };
    common_event
        && fixes_overlap(&a.prefix, &b.prefix, true)
        && fixes_overlap(&a.suffix, &b.suffix, false)
}

impl ToXml for NotificationConfiguration {
    const ROOT: &'static str = "NotificationConfiguration";
    fn write_children(&self, w: &mut XmlWriter) {
        for r in &self.rules {
            w.start("TopicConfiguration")
                .elem("Id", &r.id)
                .elem("Topic", &r.topic_arn);
            for e in &r.events {
                w.elem("Event", e);
            }
            if r.prefix.is_some() || r.suffix.is_some() {
                w.start("Filter").start("S3Key");
                for (name, value) in [("Prefix", &r.prefix), ("Suffix", &r.suffix)] {
                    if let Some(v) = value {
                        w.start("FilterRule")
                            .elem("Name", name)
                            .elem("Value", v)
                            .end("FilterRule");
                    }
                }
                w.end("S3Key").end("Filter");
            }
            w.end("TopicConfiguration");
        }
    }
}
