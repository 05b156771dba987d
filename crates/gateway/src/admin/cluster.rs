//! The cluster under `/v1`: its status, the metadata group's membership,
//! and retiring storage nodes.

use super::{fail, json, read_json};
use crate::body::Body;
use crate::Gateway;
use http::{Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use tessera_engine::MetaClientError;
use tessera_types::meta::MetaError;
use tessera_types::{now_millis, NodeState};

/// A metadata node as `GET /v1/cluster` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MetaMember {
    pub node_id: u64,
    pub addr: String,
    pub voter: bool,
}

/// A storage node as `GET /v1/cluster` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct StorageNodeStatus {
    pub node_id: u64,
    pub addr: String,
    pub zone: String,
    pub capacity_bytes: u64,
    /// `up` (heartbeat fresh), `down`, or `removed` (retired by an
    /// operator; its heartbeat age shows whether it still runs).
    pub state: String,
    pub last_heartbeat_age_secs: f64,
}

/// `GET /v1/cluster`: the metadata group and the storage nodes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ClusterStatus {
    pub leader_id: Option<u64>,
    pub leader_addr: String,
    pub term: u64,
    pub last_applied_index: u64,
    pub meta: Vec<MetaMember>,
    pub storage: Vec<StorageNodeStatus>,
}

/// `POST /v1/meta/voters` body.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct AddVoterRequest {
    pub node_id: u64,
    pub addr: String,
}

pub(crate) async fn add_voter(gw: &Gateway, incoming: Incoming) -> Response<Body> {
    let req: AddVoterRequest = match read_json(incoming).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match gw.engine.meta().add_voter(req.node_id, &req.addr).await {
        Ok(_) => {
            tracing::info!(node_id = req.node_id, addr = %req.addr, "meta voter added");
            status(gw).await
        }
        Err(e) => fail(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

/// `GET /v1/cluster`.
pub(crate) async fn status(gw: &Gateway) -> Response<Body> {
    let status = match gw.engine.meta().status().await {
        Ok(s) => s,
        Err(e) => {
            return fail(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("metadata cluster unavailable: {e}"),
            )
        }
    };
    if let Err(e) = gw.engine.refresh_nodes().await {
        return fail(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("metadata cluster unavailable: {e}"),
        );
    }
    let now = now_millis();
    let storage = gw
        .engine
        .storage_nodes()
        .into_iter()
        .map(|(n, live)| StorageNodeStatus {
            node_id: n.id,
            addr: n.addr,
            zone: n.zone,
            capacity_bytes: n.capacity_bytes,
            state: match (n.state, live) {
                (NodeState::Removed, _) => NodeState::Removed.as_str(),
                (_, true) => NodeState::Up.as_str(),
                (_, false) => NodeState::Down.as_str(),
            }
            .to_string(),
            last_heartbeat_age_secs: (now - n.last_heartbeat).max(0) as f64 / 1000.0,
        })
        .collect();
    let meta = status
        .members
        .iter()
        .map(|m| MetaMember {
            node_id: m.node_id,
            addr: m.addr.clone(),
            voter: m.voter,
        })
        .collect();
    json(
        StatusCode::OK,
        &ClusterStatus {
            leader_id: status.leader_id,
            leader_addr: status.leader_addr.clone(),
            term: status.term,
            last_applied_index: status.last_applied_index,
            meta,
            storage,
        },
    )
}

/// `DELETE /v1/meta/nodes/ID`: takes a node out of the metadata group.
pub(crate) async fn remove_meta_node(gw: &Gateway, id: &str) -> Response<Body> {
    let Ok(id) = id.parse::<u64>() else {
        return fail(StatusCode::BAD_REQUEST, "the node id must be a number");
    };
    match gw.engine.meta().remove_meta_node(id).await {
        Ok(_) => status(gw).await,
        Err(e) => fail(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

/// `DELETE /v1/storage/nodes/ID`: retires a storage node. It gets no new
/// shards, repair rebuilds its shards on the other nodes, and once they are
/// recorded elsewhere the orphan sweep deletes what it still holds.
pub(crate) async fn remove_storage_node(gw: &Gateway, id: &str) -> Response<Body> {
    let Ok(id) = id.parse::<u64>() else {
        return fail(StatusCode::BAD_REQUEST, "the node id must be a number");
    };
    match gw
        .engine
        .meta()
        .set_node_state(id, NodeState::Removed)
        .await
    {
        Ok(()) => {
            tracing::info!(node_id = id, "storage node removed");
            status(gw).await
        }
        Err(MetaClientError::Meta(MetaError::NoSuchNode)) => fail(
            StatusCode::NOT_FOUND,
            &format!("no storage node {id} in the cluster map"),
        ),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}
