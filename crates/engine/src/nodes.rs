//! The engine's view of the storage nodes: refreshed from the cluster map.

use crate::{Engine, Result};
use std::sync::Arc;
use std::time::Duration;
use tessera_erasure::placement::Candidate;
use tessera_types::NodeState;

impl Engine {
    /// Reloads the cluster map from meta into the storage client pool.
    pub async fn refresh_nodes(&self) -> Result<()> {
        let nodes = self.meta.list_nodes().await?;
        self.pool.update(&nodes);
        Ok(())
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

    /// Nodes that may receive new shards.
    pub(crate) fn placement_candidates(&self) -> Vec<Candidate> {
        self.pool
            .nodes()
            .into_iter()
            .filter(|n| n.state == NodeState::Up)
            .map(|n| Candidate {
                id: n.id,
                zone: n.zone,
            })
            .collect()
    }
}
