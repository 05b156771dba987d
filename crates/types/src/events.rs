//! Event notifications: topics (webhooks), a bucket's notification rules,
//! and the durable outbox of events the metadata cluster records in the same
//! commit as the change that causes them.

use crate::UnixMillis;
use serde::{Deserialize, Serialize};

/// A notification topic: where events are POSTed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub name: String,
    /// `arn:aws:sns:REGION:ACCOUNT:NAME`.
    pub arn: String,
    /// The URL events are POSTed to.
    pub webhook: String,
    pub created: UnixMillis,
}

/// Whether `name` is a valid topic name: 1 to 256 of `[A-Za-z0-9_-]`.
pub fn valid_topic_name(name: &str) -> bool {
    (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The ARN of topic `name` in `region`: `arn:aws:sns:REGION:000000000000:NAME`.
pub fn topic_arn(region: &str, name: &str) -> String {
    format!("arn:aws:sns:{region}:000000000000:{name}")
}

/// The topic name of an ARN of the form `arn:aws:sns:REGION:ACCOUNT:NAME`
/// (non-empty region and account, a valid name), or `None`.
pub fn topic_name_from_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let fixed = [parts.next()?, parts.next()?, parts.next()?];
    let (region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = fixed == ["arn", "aws", "sns"]
        && !region.is_empty()
        && !account.is_empty()
        && valid_topic_name(name);
    ok.then_some(name)
}

/// One rule of a bucket's notification configuration (a
/// TopicConfiguration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationRule {
    /// `Id`.
    pub id: String,
    /// The topic's name (from its ARN).
    pub topic: String,
    /// The topic's ARN as configured.
    pub topic_arn: String,
    /// Event names or patterns, e.g. `s3:ObjectCreated:*`.
    pub events: Vec<String>,
    /// Key filters (`prefix` / `suffix` FilterRules).
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub suffix: Option<String>,
}

impl NotificationRule {
    /// Whether `event` (e.g. `s3:ObjectCreated:Put`) on `key` is selected.
    pub fn selects(&self, event: &str, key: &str) -> bool {
        let event_ok = self
            .events
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => event.starts_with(prefix),
                None => pattern == event,
            });
        event_ok
            && self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
            && self.suffix.as_deref().is_none_or(|s| key.ends_with(s))
    }
}

/// A bucket's notification configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationConfig {
    pub rules: Vec<NotificationRule>,
}

/// What happened to an object, as S3 names it (without the `s3:` prefix in
/// the event message's `eventName`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventName {
    ObjectCreatedPut,
    ObjectCreatedPost,
    ObjectCreatedCopy,
    ObjectCreatedCompleteMultipartUpload,
    ObjectRemovedDelete,
    /// Sent once when a notification configuration is set.
    TestEvent,
}

impl EventName {
    /// The configuration name, e.g. `s3:ObjectCreated:Put`.
    pub fn as_str(&self) -> &'static str {
        match self {
            EventName::ObjectCreatedPut => "s3:ObjectCreated:Put",
            EventName::ObjectCreatedPost => "s3:ObjectCreated:Post",
            EventName::ObjectCreatedCopy => "s3:ObjectCreated:Copy",
            EventName::ObjectCreatedCompleteMultipartUpload => {
                "s3:ObjectCreated:CompleteMultipartUpload"
            }
            EventName::ObjectRemovedDelete => "s3:ObjectRemoved:Delete",
            EventName::TestEvent => "s3:TestEvent",
        }
    }

    /// Every event a configuration may name (wildcards aside).
    pub const ALL: [EventName; 5] = [
        EventName::ObjectCreatedPut,
        EventName::ObjectCreatedPost,
        EventName::ObjectCreatedCopy,
        EventName::ObjectCreatedCompleteMultipartUpload,
        EventName::ObjectRemovedDelete,
    ];

    /// Whether `pattern` is a valid configuration event name.
    pub fn valid_pattern(pattern: &str) -> bool {
        matches!(pattern, "s3:ObjectCreated:*" | "s3:ObjectRemoved:*")
            || Self::ALL.iter().any(|e| e.as_str() == pattern)
    }
}

/// Which worker an outbox entry is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutboxKind {
    /// An event notification, POSTed to a topic's webhook.
    #[default]
    Notification,
    /// A replication task: make the destination's copy of a key match the
    /// source.
    Replication,
}

/// Where an outbox entry goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Target {
    /// The notification topic of this name.
    Topic(String),
    /// A replication destination.
    Replica(ReplicaTarget),
}

/// The destination of a replication task, from the rule that selected the
/// key when it changed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplicaTarget {
    /// The destination bucket's name: a remote registered for it, else the
    /// local bucket.
    pub bucket: String,
    /// The replicas' storage class, when the rule sets one.
    pub storage_class: Option<crate::StorageClass>,
    /// Whether the rule replicates deletes.
    pub replicate_deletes: bool,
}

impl Target {
    pub fn kind(&self) -> OutboxKind {
        match self {
            Target::Topic(_) => OutboxKind::Notification,
            Target::Replica(_) => OutboxKind::Replication,
        }
    }

    /// The topic's name, for a notification.
    pub fn topic(&self) -> Option<&str> {
        match self {
            Target::Topic(t) => Some(t),
            Target::Replica(_) => None,
        }
    }

    /// How an operator reads the target: the topic's name, or
    /// `replica:BUCKET`.
    pub fn describe(&self) -> String {
        match self {
            Target::Topic(t) => t.clone(),
            Target::Replica(r) => format!("replica:{}", r.bucket),
        }
    }
}

/// An entry of the outbox: an event waiting for delivery to one topic, or
/// a replication task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Position in the outbox: global commit order.
    pub seq: u64,
    pub target: Target,
    /// The configuration rule (its `Id`) that selected the event.
    pub rule_id: String,
    pub event: EventName,
    pub bucket: String,
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub time: UnixMillis,
    /// Delivery attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Held by a worker until this time (none: free).
    #[serde(default)]
    pub lease: Option<Lease>,
    /// Given up on after too many attempts: kept for an operator.
    #[serde(default)]
    pub failed: Option<String>,
}

impl OutboxEvent {
    /// Whether the entry is of `kind` (if given) and about `bucket` (if
    /// given).
    pub fn matches(&self, kind: Option<OutboxKind>, bucket: Option<&str>) -> bool {
        kind.is_none_or(|k| self.target.kind() == k) && bucket.is_none_or(|b| self.bucket == b)
    }
}

/// A worker's claim on an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub worker: String,
    pub until: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_select_by_event_and_key() {
        let rule = NotificationRule {
            id: "r".into(),
            topic: "t".into(),
            topic_arn: "arn:aws:sns:us-east-1:000000000000:t".into(),
            events: vec![
                "s3:ObjectCreated:*".into(),
                "s3:ObjectRemoved:Delete".into(),
            ],
            prefix: Some("images/".into()),
            suffix: Some(".jpg".into()),
        };
        assert!(rule.selects("s3:ObjectCreated:Put", "images/a.jpg"));
        assert!(rule.selects("s3:ObjectRemoved:Delete", "images/a.jpg"));
        assert!(!rule.selects("s3:ObjectCreated:Put", "images/a.png"));
        assert!(!rule.selects("s3:ObjectCreated:Put", "docs/a.jpg"));
        assert!(EventName::valid_pattern("s3:ObjectCreated:*"));
        assert!(EventName::valid_pattern(
            "s3:ObjectCreated:CompleteMultipartUpload"
        ));
        assert!(!EventName::valid_pattern("s3:ObjectCreated:Nope"));
    }

    #[test]
    fn topic_names_and_arns() {
        assert!(valid_topic_name("orders_v2-x"));
        assert!(!valid_topic_name(""));
        assert!(!valid_topic_name("a.b"));
        assert!(!valid_topic_name(&"a".repeat(257)));
        let arn = topic_arn("us-east-1", "orders");
        assert_eq!(arn, "arn:aws:sns:us-east-1:000000000000:orders");
        assert_eq!(topic_name_from_arn(&arn), Some("orders"));
        assert_eq!(topic_name_from_arn("arn:aws:sqs:us-east-1:1:orders"), None);
        assert_eq!(topic_name_from_arn("arn:aws:sns::1:orders"), None);
        assert_eq!(topic_name_from_arn("arn:aws:sns:r:1:a:b"), None);
        assert_eq!(topic_name_from_arn("orders"), None);
    }
}
