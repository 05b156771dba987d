//! The leader-following call loop shared by every request.

use crate::endpoints::{Endpoints, Link};
use crate::{Error, Result};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tessera_proto::meta::v1::{
    AddVoterRequest, ReadRequest, RemoveNodeRequest, StatusReply, StatusRequest, WriteRequest,
};
use tessera_proto::Transport;
use tessera_types::codec;
use tessera_types::meta::{Command, CommandResult, Query, QueryResult};
use tokio::time::Instant;
use tonic::{Code, Status};

/// Metadata entry naming the leader on an UNAVAILABLE reply.
pub const LEADER_HEADER: &str = "x-tessera-leader";

const DEFAULT_PER_CALL: Duration = Duration::from_secs(10);
const DEFAULT_OVERALL: Duration = Duration::from_secs(30);
const FIRST_BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// A client of the metadata cluster that follows the Raft leader.
///
/// Cheap to clone; clones share endpoints and the leader they learned.
#[derive(Clone)]
pub struct MetaClient {
    endpoints: Arc<Endpoints>,
    per_call: Duration,
    overall: Duration,
}

/// What to do after a failed attempt.
enum Next {
    Retry(String),
    Fail(Error),
}

impl MetaClient {
    /// Endpoints "host:port" or "http://host:port"; channels are lazy (no I/O here).
    pub fn new(endpoints: Vec<String>) -> Result<MetaClient> {
        Self::with_transport(endpoints, Transport::tcp())
    }

    /// Like [`MetaClient::new`], opening connections through `transport`.
    pub fn with_transport(endpoints: Vec<String>, transport: Transport) -> Result<MetaClient> {
        Ok(MetaClient {
            endpoints: Arc::new(Endpoints::new(
                &endpoints,
                Duration::from_secs(3),
                transport,
            )?),
            per_call: DEFAULT_PER_CALL,
            overall: DEFAULT_OVERALL,
        })
    }

    /// Sets the timeout of one attempt and of a whole call including retries
    /// (defaults 10 s and 30 s).
    pub fn with_timeout(self, per_call: Duration, overall: Duration) -> Self {
        MetaClient {
            per_call,
            overall,
            ..self
        }
    }

    /// Replicates `cmd` through the leader and returns its committed result.
    ///
    /// On UNAVAILABLE with an `x-tessera-leader` hint the client switches to
    /// the hinted node and retries; on connection errors it tries the next
    /// endpoint; it retries with a short backoff until the overall timeout,
    /// then fails with [`Error::Unavailable`]. A command whose reply was lost
    /// (timeout) may be applied twice.
    pub async fn write(&self, cmd: Command) -> Result<CommandResult> {
        let payload = bytes::Bytes::from(codec::encode(&cmd)?);
        let reply = self
            .call(|mut c| {
                let command = payload.clone();
                async move { c.write(WriteRequest { command }).await }
            })
            .await?;
        Ok(codec::decode(&reply.result)?)
    }

    /// A linearizable read (answered by the leader after a read-index round).
    pub async fn read(&self, q: Query) -> Result<QueryResult> {
        let payload = bytes::Bytes::from(codec::encode(&q)?);
        let reply = self
            .call(|mut c| {
                let query = payload.clone();
                async move {
                    c.read(ReadRequest {
                        query,
                        linearizable: true,
                    })
                    .await
                }
            })
            .await?;
        Ok(codec::decode(&reply.result)?)
    }

    /// The Raft status as seen by the first node that answers.
    pub async fn status(&self) -> Result<StatusReply> {
        self.call(|mut c| async move { c.status(StatusRequest {}).await })
            .await
    }

    /// Adds a voter to the metadata group (sent to the leader).
    pub async fn add_voter(&self, node_id: u64, addr: &str) -> Result<StatusReply> {
        let addr = addr.to_string();
        self.call(|mut c| {
            let addr = addr.clone();
            async move { c.add_voter(AddVoterRequest { node_id, addr }).await }
        })
        .await
    }

    /// Removes a node from the metadata group (sent to the leader).
    pub async fn remove_meta_node(&self, node_id: u64) -> Result<StatusReply> {
        self.call(|mut c| async move { c.remove_node(RemoveNodeRequest { node_id }).await })
            .await
    }

    /// Runs `op` against the current endpoint until it succeeds, fails for
    /// good, or the overall timeout expires.
    async fn call<T, F, Fut>(&self, op: F) -> Result<T>
    where
        F: Fn(Link) -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = Instant::now() + self.overall;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let (idx, uri, client) = self.endpoints.current()?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            let attempt = tokio::time::timeout(self.per_call.min(remaining), op(client)).await;
            let next = match attempt {
                Ok(Ok(reply)) => {
                    self.endpoints.mark_ok(idx);
                    return Ok(reply.into_inner());
                }
                Ok(Err(status)) => self.classify(idx, &uri, status),
                Err(_) => {
                    self.endpoints.mark_failed(idx);
                    self.endpoints.advance(idx);
                    Next::Retry(format!("{uri}: no answer within {:?}", self.per_call))
                }
            };
            let reason = match next {
                Next::Fail(e) => return Err(e),
                Next::Retry(reason) => reason,
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::Unavailable(reason));
            }
            tracing::debug!(endpoint = %uri, %reason, "meta call failed, retrying");
            tokio::time::sleep(backoff.min(remaining)).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn classify(&self, idx: usize, uri: &str, status: Status) -> Next {
        let reason = format!("{uri}: {}: {}", status.code(), status.message());
        match status.code() {
            Code::Unavailable => {
                let hint = status
                    .metadata()
                    .get(LEADER_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .filter(|h| !h.is_empty());
                match hint {
                    // A hint naming a node that just failed is stale (an
                    // election is under way): ask another node meanwhile.
                    Some(leader) => {
                        if !self.endpoints.follow_hint(leader) {
                            self.endpoints.advance(idx);
                        }
                    }
                    // No leader known there, or the node is unreachable.
                    None => {
                        self.endpoints.mark_failed(idx);
                        self.endpoints.advance(idx);
                    }
                }
                Next::Retry(reason)
            }
            Code::DeadlineExceeded | Code::Cancelled | Code::Unknown | Code::ResourceExhausted => {
                self.endpoints.mark_failed(idx);
                self.endpoints.advance(idx);
                Next::Retry(reason)
            }
            Code::InvalidArgument => Next::Fail(Error::Codec(reason)),
            _ => Next::Fail(Error::Internal(reason)),
        }
    }
}
