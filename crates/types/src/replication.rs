//! Bucket replication configuration: which objects of a bucket are copied
//! to which destination bucket.

use crate::StorageClass;
use serde::{Deserialize, Serialize};

/// One replication rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationRule {
    /// `ID`.
    pub id: String,
    /// `Priority` (rules of the newer schema have one).
    pub priority: Option<i32>,
    /// `Status`: `Enabled` or `Disabled`.
    pub enabled: bool,
    /// The key prefix the rule selects (`Filter/Prefix` or the older
    /// `Prefix`); empty selects every key.
    pub prefix: String,
    /// The destination bucket's name (from `arn:aws:s3:::NAME`).
    pub destination_bucket: String,
    /// The storage class of replicas, when not the source's.
    pub storage_class: Option<StorageClass>,
    /// Whether deletes are replicated (`DeleteMarkerReplication` Enabled).
    pub replicate_deletes: bool,
}

impl ReplicationRule {
    /// Whether the rule applies to `key`.
    pub fn selects(&self, key: &str) -> bool {
        self.enabled && key.starts_with(&self.prefix)
    }
}

/// A bucket's replication configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicationConfig {
    /// `Role`: accepted and kept (to give it back), not used.
    pub role: String,
    pub rules: Vec<ReplicationRule>,
}

impl ReplicationConfig {
    /// The rule that applies to `key`: the enabled matching rule with the
    /// highest priority (the first, among equals).
    pub fn rule_for(&self, key: &str) -> Option<&ReplicationRule> {
        self.rules.iter().filter(|r| r.selects(key)).fold(
            None,
            |best: Option<&ReplicationRule>, r| match best {
                Some(b) if b.priority.unwrap_or(0) >= r.priority.unwrap_or(0) => Some(b),
                _ => Some(r),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, priority: i32, prefix: &str, enabled: bool) -> ReplicationRule {
        ReplicationRule {
            id: id.into(),
            priority: Some(priority),
            enabled,
            prefix: prefix.into(),
            destination_bucket: format!("dst-{id}"),
            storage_class: None,
            replicate_deletes: false,
        }
    }

    #[test]
    fn the_highest_priority_enabled_rule_applies() {
        let c = ReplicationConfig {
            role: String::new(),
            rules: vec![
                rule("all", 1, "", true),
                rule("logs", 5, "logs/", true),
                rule("off", 9, "logs/", false),
            ],
        };
        assert_eq!(c.rule_for("logs/a").map(|r| r.id.as_str()), Some("logs"));
        assert_eq!(c.rule_for("img/a").map(|r| r.id.as_str()), Some("all"));
        let none = ReplicationConfig {
            role: String::new(),
            rules: vec![rule("off", 1, "", false)],
        };
        assert!(none.rule_for("x").is_none());
    }
}
