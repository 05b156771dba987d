//! Typed helpers for notification topics and the event outbox.

use crate::typed::unexpected;
use crate::{MetaClient, Result};
use tessera_types::events::{OutboxEvent, Topic};
use tessera_types::meta::{Command, CommandReply, Query, QueryReply};
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

    /// Leases up to `max` deliverable events to `worker` for `lease_ms`.
    pub async fn lease_events(
        &self,
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
        };
        match self.write(cmd).await?? {
            CommandReply::Events(e) => Ok(e),
            other => Err(unexpected("LeaseEvents", other)),
        }
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

    /// Makes failed events deliverable again.
    pub async fn replay_events(&self, topic: Option<String>) -> Result<()> {
        self.command_done("ReplayEvents", Command::ReplayEvents { topic })
            .await
    }

    /// Pending and failed events, and the oldest pending one's time.
    pub async fn event_stats(&self) -> Result<tessera_types::meta::EventStats> {
        match self.query(Query::EventStats).await? {
            QueryReply::EventStats(s) => Ok(s),
            other => Err(unexpected("EventStats", other)),
        }
    }

    /// Outbox events after `after` (failed ones only, with `failed_only`).
    pub async fn list_events(
        &self,
        after: Option<u64>,
        max: u32,
        failed_only: bool,
    ) -> Result<Vec<OutboxEvent>> {
        let q = Query::ListEvents {
            after,
            max,
            failed_only,
        };
        match self.query(q).await? {
            QueryReply::Events(e) => Ok(e),
            other => Err(unexpected("ListEvents", other)),
        }
    }
}
