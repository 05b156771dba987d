//! Keeping this node's advertised address current in the Raft membership.

use crate::raft_types::{Node, NodeId, Raft};
use openraft::ChangeMembers;
use std::collections::BTreeMap;

/// Once this node leads, replaces its address in the membership if it was
/// restarted with a different `advertise_addr` (e.g. a new port), so that
/// leader hints and peers use the current one. Ends when done or when Raft
/// stops.
pub(crate) fn spawn_address_refresh(raft: Raft, id: NodeId, addr: String) {
    tokio::spawn(async move {
        let mut metrics = raft.metrics();
        loop {
            let stale = {
                let m = metrics.borrow_and_update();
                if m.current_leader != Some(id) {
                    None
                } else {
                    let current = m
                        .membership_config
                        .membership()
                        .get_node(&id)
                        .map(|n| n.addr.clone());
                    Some(current.is_some_and(|a| a != addr))
                }
            };
            match stale {
                Some(false) => return,
                Some(true) => {
                    let nodes = BTreeMap::from([(id, Node::new(addr.clone()))]);
                    match raft
                        .change_membership(ChangeMembers::SetNodes(nodes), true)
                        .await
                    {
                        Ok(_) => {
                            tracing::info!(node_id = id, %addr, "updated advertised address in membership");
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(node_id = id, error = %e, "failed to update advertised address")
                        }
                    }
                }
                None => {}
            }
            if metrics.changed().await.is_err() {
                return;
            }
        }
    });
}
