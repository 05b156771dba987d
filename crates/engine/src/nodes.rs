//! The engine's view of the storage nodes: refreshed from the cluster map.

use crate::{Engine, Result};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_erasure::placement::Candidate;
use tessera_types::{now_millis, NodeId, NodeInfo, NodeState};

impl Engine {
    /// Reloads the cluster map from meta into the storage client pool.
    pub async fn refresh_nodes(&self) -> Result<()> {
        let nodes = self.meta.list_nodes().await?;
        self.pool.update(&nodes);
        if let Ok(mut at) = self.last_refresh.lock() {
            *at = Some(Instant::now());
        }
        Ok(())
    }

    /// Reloads the cluster map unless it was loaded within the last 250 ms
    /// (for callers that found too few nodes and would otherwise reload on
    /// every block while a node is down).
    pub(crate) async fn refresh_nodes_if_stale(&self) {
        let fresh = self
            .last_refresh
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < Duration::from_millis(250));
        if !fresh {
            if let Err(e) = self.refresh_nodes().await {
                tracing::warn!(error = %e, "refreshing the cluster map failed");
            }
        }
    }

    /// Keeps the cluster map fresh in the background until `shutdown`.
    pub fn spawn_node_refresher(
        self: &Arc<Self>,
        every: Duration,
        shutdown: tessera_util::shutdown::Shutdown,
    ) -> tokio::task::JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            let stop = shutdown.wait();
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    _ = &mut stop => return,
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(e) = engine.refresh_nodes().await {
                    tracing::warn!(error = %e, "refreshing the cluster map failed");
                }
            }
        })
    }

    /// Whether `node` is up and has sent a heartbeat recently. A removed
    /// node is never live: it gets no new shards, repair moves its shards,
    /// and reads try its shards only after those on live nodes.
    fn is_live(&self, node: &NodeInfo, now: i64) -> bool {
        node.state == NodeState::Up && now - node.last_heartbeat <= self.node_timeout_ms
    }

    /// Nodes that may receive new shards: the live ones.
    pub(crate) fn placement_candidates(&self) -> Vec<Candidate> {
        let now = now_millis();
        self.pool
            .nodes()
            .into_iter()
            .filter(|n| self.is_live(n, now))
            .map(|n| Candidate {
                id: n.id,
                zone: n.zone,
            })
            .collect()
    }

    /// Nodes marked up whose heartbeat is late: not chosen while enough live
    /// nodes exist, but tried when too few do (heartbeats stall while the
    /// metadata group elects a leader, though the nodes are fine).
    pub(crate) fn late_candidates(&self) -> Vec<Candidate> {
        let now = now_millis();
        self.pool
            .nodes()
            .into_iter()
            .filter(|n| n.state == NodeState::Up && !self.is_live(n, now))
            .map(|n| Candidate {
                id: n.id,
                zone: n.zone,
            })
            .collect()
    }

    /// Every storage node of the cluster map, and whether it is live.
    pub fn storage_nodes(&self) -> Vec<(NodeInfo, bool)> {
        let now = now_millis();
        self.pool
            .nodes()
            .into_iter()
            .map(|n| {
                let live = self.is_live(&n, now);
                (n, live)
            })
            .collect()
    }

    /// Nodes that are running (fresh heartbeat) and either live or removed
    /// but not yet stopped: the nodes whose shards the orphan sweep lists.
    pub fn running_nodes(&self) -> Vec<NodeInfo> {
        let now = now_millis();
        self.pool
            .nodes()
            .into_iter()
            .filter(|n| {
                matches!(n.state, NodeState::Up | NodeState::Removed)
                    && now - n.last_heartbeat <= self.node_timeout_ms
            })
            .collect()
    }

    /// How many storage nodes this engine can place shards on now.
    pub fn live_node_count(&self) -> usize {
        self.live_nodes().len()
    }

    /// The ids of the live nodes, to read from them first.
    pub(crate) fn live_nodes(&self) -> HashSet<NodeId> {
        let now = now_millis();
        self.pool
            .nodes()
            .into_iter()
            .filter(|n| self.is_live(n, now))
            .map(|n| n.id)
            .collect()
    }
}
