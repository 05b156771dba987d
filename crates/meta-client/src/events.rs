//! Typed helpers for notification topics and the event outbox.

use crate::typed::unexpected;
use crate::{MetaClient, Result};
use tessera_types::events::{OutboxEvent, OutboxKind, Topic};
use tessera_types::meta::{Command, CommandReply, Query, QueryReply};
use tessera_types::replication::{Remote, StatusUpdate};
use tessera_types::UnixMillis;

impl MetaClient {
    /// Registers a topic (`TopicExists`).
    pub async fn create_topic(&self, topic: Topic) -> Result<()> {
        self.command_done("CreateTopic", Command::CreateTopic { topic })
            .await
    }

    /// Removes a topic and its undelivered events (`NoSuchTopic`).
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        self.command_done("DeleteTopic", Command::DeleteTopic { name: name.into() })
            .await
    }

    pub async fn list_topics(&self) -> Result<Vec<Topic>> {
        match self.query(Query::ListTopics).await? {
            QueryReply::Topics(t) => Ok(t),
            other => Err(unexpected("ListTopics", other)),
        }
    }

    pub async fn get_topic(&self, name: &str) -> Result<Option<Topic>> {
        match self.query(Query::GetTopic { name: name.into() }).await? {
            QueryReply::Topic(t) => Ok(t),
            other => Err(unexpected("GetTopic", other)),
        }
    }

    /// Leases up to `max` deliverable entries of `kind` to `worker` for
    /// `lease_ms`.
    pub async fn lease_events(
        &self,
        kind: OutboxKind,
        worker: &str,
        now: UnixMillis,
        lease_ms: u64,
        max: u32,
    ) -> Result<Vec<OutboxEvent>> {
        let cmd = Command::LeaseEvents {
            worker: worker.into(),
            now,
            lease_ms,
            max,
            kind,
        };
        match self.write(cmd).await?? {
            CommandReply::Events(e) => Ok(e),
            other => Err(unexpected("LeaseEvents", other)),
        }
    }

    /// Extends `worker`'s leases of `seqs` until `until`.
    pub async fn renew_leases(
        &self,
        worker: &str,
        seqs: Vec<u64>,
        until: UnixMillis,
    ) -> Result<()> {
        let cmd = Command::RenewLeases {
            worker: worker.into(),
            seqs,
            until,
        };
        self.command_done("RenewLeases", cmd).await
    }

    /// Removes delivered events.
    pub async fn ack_events(&self, seqs: Vec<u64>) -> Result<()> {
        self.command_done("AckEvents", Command::AckEvents { seqs })
            .await
    }

    /// Records failed deliveries (failed for good after `max_attempts`).
    pub async fn retry_events(&self, seqs: Vec<u64>, error: &str, max_attempts: u32) -> Result<()> {
        let cmd = Command::RetryEvents {
            seqs,
            error: error.into(),
            max_attempts,
        };
        self.command_done("RetryEvents", cmd).await
    }

    /// Makes failed notification events deliverable again (one topic's, or
    /// all).
    pub async fn replay_events(&self, topic: Option<String>) -> Result<()> {
        let cmd = Command::ReplayEvents {
            topic,
            kind: Some(OutboxKind::Notification),
            bucket: None,
        };
        self.command_done("ReplayEvents", cmd).await
    }

    /// Pending and failed entries (of one kind, one bucket's), and the
    /// oldest pending one's time.
    pub async fn event_stats(
        &self,
        kind: Option<OutboxKind>,
        bucket: Option<&str>,
    ) -> Result<tessera_types::meta::EventStats> {
        let q = Query::EventStats {
            kind,
            bucket: bucket.map(str::to_string),
        };
        match self.query(q).await? {
            QueryReply::EventStats(s) => Ok(s),
            other => Err(unexpected("EventStats", other)),
        }
    }

    /// Outbox entries after `after` (failed ones only, with `failed_only`;
    /// of one kind, one bucket's).
    pub async fn list_events(
        &self,
        after: Option<u64>,
        max: u32,
        failed_only: bool,
        kind: Option<OutboxKind>,
        bucket: Option<&str>,
    ) -> Result<Vec<OutboxEvent>> {
        let q = Query::ListEvents {
            after,
            max,
            failed_only,
            kind,
            bucket: bucket.map(str::to_string),
        };
        match self.query(q).await? {
            QueryReply::Events(e) => Ok(e),
            other => Err(unexpected("ListEvents", other)),
        }
    }

    /// Records the replication status of source object versions.
    pub async fn set_replication_status(&self, updates: Vec<StatusUpdate>) -> Result<()> {
        self.command_done(
            "SetReplicationStatus",
            Command::SetReplicationStatus { updates },
        )
        .await
    }

    /// Queues replication tasks for one page of `bucket`'s objects after
    /// `after`: (tasks queued, key to continue after).
    pub async fn resync_replication(
        &self,
        bucket: &str,
        after: Option<String>,
        max: u32,
        now: UnixMillis,
    ) -> Result<(u64, Option<String>)> {
        let cmd = Command::ResyncReplication {
            bucket: bucket.into(),
            after,
            max,
            now,
        };
        match self.write(cmd).await?? {
            CommandReply::Resync { queued, next } => Ok((queued, next)),
            other => Err(unexpected("ResyncReplication", other)),
        }
    }

    /// Registers a remote replication endpoint (`RemoteExists`).
    pub async fn create_remote(&self, remote: Remote) -> Result<()> {
        self.command_done("CreateRemote", Command::CreateRemote { remote })
            .await
    }

    /// Removes a remote (`NoSuchRemote`).
    pub async fn delete_remote(&self, name: &str) -> Result<()> {
        self.command_done("DeleteRemote", Command::DeleteRemote { name: name.into() })
            .await
    }

    pub async fn list_remotes(&self) -> Result<Vec<Remote>> {
        match self.query(Query::ListRemotes).await? {
            QueryReply::Remotes(r) => Ok(r),
            other => Err(unexpected("ListRemotes", other)),
        }
    }
}
