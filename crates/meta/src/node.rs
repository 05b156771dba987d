//! A running metadata node: Raft, storage and the gRPC services together.

use crate::grpc::meta_service::MetaService;
use crate::grpc::raft_service::RaftService;
use crate::network::NetworkFactory;
use crate::proposer::Proposer;
use crate::query::StateReader;
use crate::raft_types::{Node, NodeId, Raft};
use crate::read_index::ReadIndex;
use crate::store::{self, db, LogStore, StateMachine};
use crate::{Error, MetaConfig, Result};
use openraft::error::{CheckIsLeaderError, ClientWriteError, InitializeError, RaftError};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tessera_proto::meta::v1::meta_server::MetaServer;
use tessera_proto::meta::v1::raft_server::RaftServer;
use tessera_proto::meta::v1::{Member, StatusReply};
use tessera_proto::MAX_MESSAGE_BYTES;
use tessera_types::meta::{Command, CommandResult, Query, QueryResult};

/// One member of the metadata Raft group.
pub struct MetaNode {
    id: NodeId,
    raft: Raft,
    proposer: Proposer,
    read_index: ReadIndex,
    reader: StateReader,
}

impl MetaNode {
    /// Opens `<data_dir>/meta.db`, starts Raft and, with `bootstrap`,
    /// initializes a new group with this node as its single voter.
    pub async fn start(cfg: MetaConfig) -> Result<Arc<MetaNode>> {
        let raft_config = Arc::new(cfg.raft_config()?);
        let path = cfg.data_dir.join("meta.db");
        let (db, state_machine) = tokio::task::spawn_blocking(move || -> Result<_> {
            std::fs::create_dir_all(&path)?;
            let db = db::open(&path)?;
            let state_machine = StateMachine::open(db.clone(), store::snapshot_dir(&path))?;
            Ok((db, state_machine))
        })
        .await??;
        let raft = Raft::new(
            cfg.node_id,
            raft_config,
            NetworkFactory::new(cfg.node_id, cfg.transport.clone()),
            LogStore::new(db.clone()),
            state_machine,
        )
        .await
        .map_err(|e| Error::Unavailable(format!("raft failed to start: {e}")))?;
        let node = Arc::new(MetaNode {
            id: cfg.node_id,
            proposer: Proposer::spawn(raft.clone()),
            read_index: ReadIndex::new(raft.clone()),
            raft,
            reader: StateReader::new(db),
        });
        let initialized = node
            .raft
            .is_initialized()
            .await
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        if cfg.bootstrap && !initialized {
            let mut members =
                BTreeMap::from([(cfg.node_id, Node::new(cfg.advertise_addr.clone()))]);
            for (id, addr) in &cfg.initial_members {
                members
                    .entry(*id)
                    .or_insert_with(|| Node::new(addr.clone()));
            }
            tracing::info!(node_id = cfg.node_id, addr = %cfg.advertise_addr, voters = members.len(), "initializing the meta group");
            match node.raft.initialize(members).await {
                Ok(()) | Err(RaftError::APIError(InitializeError::NotAllowed(_))) => {}
                Err(e) => return Err(Error::Unavailable(format!("initialize failed: {e}"))),
            }
        }
        crate::membership::spawn_address_refresh(
            node.raft.clone(),
            cfg.node_id,
            cfg.advertise_addr.clone(),
        );
        tracing::info!(node_id = cfg.node_id, data_dir = %cfg.data_dir.display(), "meta node started");
        Ok(node)
    }

    /// This node's Raft id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The Raft handle: membership administration (adding voters), metrics.
    pub fn raft(&self) -> &Raft {
        &self.raft
    }

    /// Read access to the local state machine (no leadership check).
    pub fn state(&self) -> &StateReader {
        &self.reader
    }

    /// The Meta service for clients in this process to call directly (see
    /// `Transport::with_local_meta`).
    pub fn local_service(self: &Arc<Self>) -> Arc<dyn tessera_proto::meta::v1::meta_server::Meta> {
        Arc::new(MetaService { node: self.clone() })
    }

    /// Both gRPC services (Meta + Raft), for embedding in a tonic server.
    pub fn grpc_routes(self: &Arc<Self>) -> tonic::service::Routes {
        let meta = MetaServer::new(MetaService { node: self.clone() })
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES);
        let raft = RaftServer::new(RaftService {
            node_id: self.id,
            raft: self.raft.clone(),
        })
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
        tonic::service::Routes::new(meta).add_service(raft)
    }

    /// Serves both gRPC services on `listener` until `shutdown` completes.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        // The builder's tcp_nodelay applies only to listeners tonic opens
        // itself; without it, replies written in two frames wait for a
        // delayed ACK (~40 ms per read).
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        tonic::transport::Server::builder()
            .add_routes(self.grpc_routes())
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await?;
        Ok(())
    }

    /// Replicates `cmd` and returns its committed result. Concurrent writes
    /// share log entries (see [`Proposer`]).
    pub async fn write(&self, cmd: Command) -> Result<CommandResult> {
        let Some(outcome) = self.proposer.write(cmd).await else {
            return Err(Error::Unavailable("the meta node is shutting down".into()));
        };
        match outcome {
            Ok(result) => Ok(result),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                Err(self.forward_error(f.leader_id, f.leader_node))
            }
            Err(RaftError::APIError(ClientWriteError::ChangeMembershipError(e))) => {
                Err(Error::Unavailable(e.to_string()))
            }
            Err(RaftError::Fatal(f)) => Err(Error::Unavailable(f.to_string())),
        }
    }

    /// Adds `id` at `addr` as a voter: it joins as a learner, catches up
    /// with the log, then becomes a voter. Leader only.
    pub async fn add_voter(&self, id: NodeId, addr: String) -> Result<()> {
        match self.raft.add_learner(id, Node::new(addr), true).await {
            Ok(_) => {}
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                return Err(self.forward_error(f.leader_id, f.leader_node))
            }
            Err(e) => return Err(Error::Unavailable(e.to_string())),
        }
        let mut voters = self.voters();
        voters.insert(id);
        self.change_voters(voters).await
    }

    /// Removes `id` from the group (voter or learner). Leader only.
    pub async fn remove_node(&self, id: NodeId) -> Result<()> {
        let mut voters = self.voters();
        if !voters.remove(&id) && !self.members().contains(&id) {
            return Err(Error::Config(format!("node {id} is not a member")));
        }
        if voters.is_empty() {
            return Err(Error::Config("cannot remove the last voter".into()));
        }
        self.change_voters(voters).await
    }

    fn voters(&self) -> std::collections::BTreeSet<NodeId> {
        self.raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .collect()
    }

    fn members(&self) -> std::collections::BTreeSet<NodeId> {
        self.raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .nodes()
            .map(|(id, _)| *id)
            .collect()
    }

    async fn change_voters(&self, voters: std::collections::BTreeSet<NodeId>) -> Result<()> {
        tracing::info!(
            node_id = self.id(),
            ?voters,
            "changing the meta group's voters"
        );
        match self.raft.change_membership(voters, false).await {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                Err(self.forward_error(f.leader_id, f.leader_node))
            }
            Err(e) => Err(Error::Unavailable(e.to_string())),
        }
    }

    /// Answers `q` from the state machine; with `linearizable`, only after
    /// confirming leadership and applying everything committed before it.
    pub async fn read(&self, q: Query, linearizable: bool) -> Result<QueryResult> {
        if linearizable {
            match self.read_index.ensure().await {
                Ok(_) => {}
                Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f))) => {
                    return Err(self.forward_error(f.leader_id, f.leader_node));
                }
                Err(RaftError::APIError(CheckIsLeaderError::QuorumNotEnough(e))) => {
                    return Err(Error::Unavailable(e.to_string()));
                }
                Err(RaftError::Fatal(f)) => return Err(Error::Unavailable(f.to_string())),
            }
        }
        if is_point_read(&q) {
            // A key or two, from RocksDB's caches in microseconds: cheaper
            // here than the hand-off to a blocking thread and back.
            return self.reader.query(&q);
        }
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || reader.query(&q)).await?
    }

    /// Waits (up to `timeout`) until this node sees a leader; returns its id.
    pub async fn wait_for_leader(&self, timeout: Duration) -> Result<u64> {
        let mut rx = self.raft.metrics();
        let wait = async {
            loop {
                if let Some(leader) = rx.borrow_and_update().current_leader {
                    return Ok(leader);
                }
                if rx.changed().await.is_err() {
                    return Err(Error::Unavailable("raft stopped".into()));
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| Error::Timeout(format!("no leader after {timeout:?}")))?
    }

    /// This node's view of the group.
    pub fn status(&self) -> StatusReply {
        let m = self.raft.metrics().borrow().clone();
        let membership = m.membership_config.membership();
        let voters: std::collections::BTreeSet<NodeId> = membership.voter_ids().collect();
        let members = membership
            .nodes()
            .map(|(id, node)| Member {
                node_id: *id,
                addr: node.addr.clone(),
                voter: voters.contains(id),
            })
            .collect();
        let leader_addr = m
            .current_leader
            .and_then(|l| membership.get_node(&l).map(|n| n.addr.clone()))
            .unwrap_or_default();
        StatusReply {
            node_id: self.id,
            leader_id: m.current_leader,
            leader_addr,
            term: m.current_term,
            last_log_index: m.last_log_index.unwrap_or(0),
            last_applied_index: m.last_applied.map(|l| l.index).unwrap_or(0),
            members,
        }
    }

    /// Stops Raft. Reads of the local state still work afterwards; the
    /// database closes when the last handle to this node is dropped.
    pub async fn shutdown(&self) -> Result<()> {
        tracing::info!(node_id = self.id, "meta node shutting down");
        self.raft
            .shutdown()
            .await
            .map_err(|e| Error::Task(format!("raft shutdown: {e}")))
    }

    /// A not-leader error, with the leader's address from the membership
    /// when openraft did not include it.
    fn forward_error(&self, leader_id: Option<NodeId>, leader_node: Option<Node>) -> Error {
        let leader_addr = leader_node.map(|n| n.addr).or_else(|| {
            let id = leader_id?;
            let m = self.raft.metrics().borrow().membership_config.clone();
            m.membership().get_node(&id).map(|n| n.addr.clone())
        });
        Error::ForwardToLeader {
            leader_id,
            leader_addr,
        }
    }
}

/// Queries that read one or two keys (every S3 request makes some); the
/// rest scan ranges and run on blocking threads.
fn is_point_read(q: &Query) -> bool {
    matches!(
        q,
        Query::GetBucket { .. }
            | Query::GetObject { .. }
            | Query::GetUpload { .. }
            | Query::GetAccessKey { .. }
    )
}
