//! Clients for every storage node of the cluster map.

use crate::StorageClient;
use crate::DEFAULT_TIMEOUT;
use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;
use tessera_proto::Transport;
use tessera_types::{NodeId, NodeInfo};

struct Entry {
    info: NodeInfo,
    client: StorageClient,
}

/// One [`StorageClient`] per storage node, by node id. Cheap to clone: clones
/// share the same map.
#[derive(Clone)]
pub struct StoragePool {
    nodes: Arc<RwLock<HashMap<NodeId, Entry>>>,
    timeout: Duration,
    transport: Transport,
}

impl Default for StoragePool {
    fn default() -> Self {
        StoragePool {
            nodes: Arc::default(),
            timeout: DEFAULT_TIMEOUT,
            transport: Transport::tcp(),
        }
    }
}

impl StoragePool {
    /// An empty pool whose clients use [`DEFAULT_TIMEOUT`].
    pub fn new() -> Self {
        Self::default()
    }

    /// The same (shared) pool, with clients created from now on using
    /// `timeout` as their per-call deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same (shared) pool, with clients created from now on opening
    /// their connections through `transport`.
    pub fn with_transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Makes the pool match `nodes`: adds clients for new nodes, re-creates
    /// the client of a node whose address changed, refreshes the recorded
    /// [`NodeInfo`] of the others and drops nodes no longer listed. A node
    /// whose address is invalid is skipped (and logged).
    pub fn update(&self, nodes: &[NodeInfo]) {
        let mut next = HashMap::with_capacity(nodes.len());
        {
            let current = self.read();
            for info in nodes {
                let client = match current.get(&info.id) {
                    Some(e) if e.info.addr == info.addr => e.client.clone(),
                    _ => match StorageClient::connect_lazy_via(&info.addr, &self.transport) {
                        Ok(c) => c.with_timeout(self.timeout),
                        Err(e) => {
                            tracing::warn!(node_id = info.id, error = %e, "skipping storage node");
                            continue;
                        }
                    },
                };
                next.insert(
                    info.id,
                    Entry {
                        info: info.clone(),
                        client,
                    },
                );
            }
        }
        let mut map = self.nodes.write().unwrap_or_else(|p| p.into_inner());
        *map = next;
    }

    /// The client for `node`, if it is in the pool.
    pub fn get(&self, node: NodeId) -> Option<StorageClient> {
        self.read().get(&node).map(|e| e.client.clone())
    }

    /// The nodes in the pool, by id.
    pub fn nodes(&self) -> Vec<NodeInfo> {
        let mut out: Vec<NodeInfo> = self.read().values().map(|e| e.info.clone()).collect();
        out.sort_by_key(|n| n.id);
        out
    }

    fn read(&self) -> RwLockReadGuard<'_, HashMap<NodeId, Entry>> {
        // A panic elsewhere while holding the lock cannot leave the map
        // half-updated (it is swapped whole), so poisoning is ignored.
        self.nodes.read().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_types::NodeState;

    fn node(id: NodeId, addr: &str) -> NodeInfo {
        NodeInfo {
            id,
            addr: addr.into(),
            zone: "z".into(),
            capacity_bytes: 0,
            state: NodeState::Up,
            last_heartbeat: 0,
        }
    }

    #[tokio::test]
    async fn update_adds_refreshes_and_drops() {
        let pool = StoragePool::new().with_timeout(Duration::from_secs(1));
        pool.update(&[node(1, "127.0.0.1:1"), node(2, "127.0.0.1:2")]);
        assert_eq!(
            pool.nodes().iter().map(|n| n.id).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(pool.get(1).unwrap().addr(), "127.0.0.1:1");
        assert!(pool.get(3).is_none());

        // Clones share the map.
        let clone = pool.clone();
        let mut n2 = node(2, "127.0.0.1:2");
        n2.state = NodeState::Down;
        clone.update(&[node(1, "127.0.0.1:11"), n2, node(3, "127.0.0.1:3")]);
        assert_eq!(pool.get(1).unwrap().addr(), "127.0.0.1:11");
        assert_eq!(pool.nodes()[1].state, NodeState::Down);
        assert_eq!(pool.nodes().len(), 3);

        pool.update(&[node(3, "127.0.0.1:3"), node(4, "not a uri\n")]);
        assert_eq!(
            pool.nodes().iter().map(|n| n.id).collect::<Vec<_>>(),
            vec![3]
        );
        assert!(pool.get(1).is_none());
    }
}
