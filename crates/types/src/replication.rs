//! Bucket replication configuration: which objects of a bucket are copied
//! to which destination bucket.

use crate::{StorageClass, UnixMillis};
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

/// `x-amz-replication-status`: where an object stands in replication.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicationStatus {
    /// A source object waiting to be copied.
    Pending,
    /// A source object copied to its destination.
    Completed,
    /// A source object whose copy was given up on (an operator's resync or
    /// replay tries again).
    Failed,
    /// A copy made by replication.
    Replica,
}

impl ReplicationStatus {
    /// The header's value.
    pub fn as_str(&self) -> &'static str {
        match self {
            ReplicationStatus::Pending => "PENDING",
            ReplicationStatus::Completed => "COMPLETED",
            ReplicationStatus::Failed => "FAILED",
            ReplicationStatus::Replica => "REPLICA",
        }
    }
}

/// The new replication status of one source object version, which the
/// replication worker records once the copy is done (or given up on). The
/// version is named by its ETag and modification time: a newer version
/// written meanwhile keeps its own status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    pub bucket: String,
    pub key: String,
    pub etag: String,
    pub last_modified: UnixMillis,
    pub status: ReplicationStatus,
}

/// A remote S3 endpoint that replicas of destination bucket `bucket` go
/// to (instead of the local bucket of that name).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Remote {
    /// The operator's name for it.
    pub name: String,
    /// The endpoint URL, e.g. `https://s3.example.com`.
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    /// The destination bucket (on the remote) it serves.
    pub bucket: String,
    /// The region to sign for.
    pub region: String,
    pub created: UnixMillis,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("name", &self.name)
            .field("endpoint", &self.endpoint)
            .field("access_key", &self.access_key)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .finish_non_exhaustive()
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
