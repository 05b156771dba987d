//! Commands on access keys, the cluster map and the GC queue.

use super::db::{CF_GC, CF_KEYS, CF_NODES};
use super::keys::{self, u64_key};
use super::tx::{Abort, Step, Tx};
use tessera_types::meta::{CommandReply, MetaError};
use tessera_types::{AccessKey, NodeId, NodeInfo, NodeState};

pub(crate) fn create_access_key(tx: &mut Tx<'_>, key: &AccessKey) -> Step<CommandReply> {
    keys::validate_component("access key id", &key.access_key_id)?;
    let k = key.access_key_id.as_bytes();
    if tx.get::<AccessKey>(CF_KEYS, k)?.is_some() {
        return Err(MetaError::AccessKeyExists.into());
    }
    tx.put(CF_KEYS, k, key)?;
    Ok(CommandReply::Done)
}

pub(crate) fn delete_access_key(tx: &mut Tx<'_>, access_key_id: &str) -> Step<CommandReply> {
    let k = access_key_id.as_bytes();
    if tx.get::<AccessKey>(CF_KEYS, k)?.is_none() {
        return Err(MetaError::NoSuchAccessKey.into());
    }
    tx.delete(CF_KEYS, k)?;
    Ok(CommandReply::Done)
}

pub(crate) fn register_node(tx: &mut Tx<'_>, node: &NodeInfo) -> Step<CommandReply> {
    let k = u64_key(node.id);
    let removed = tx
        .get::<NodeInfo>(CF_NODES, &k)?
        .is_some_and(|n| n.state == NodeState::Removed);
    if removed {
        // A retired node that still runs keeps sending heartbeats: record
        // where it is, but it stays retired.
        let node = NodeInfo {
            state: NodeState::Removed,
            ..node.clone()
        };
        tx.put(CF_NODES, &k, &node)?;
    } else {
        tx.put(CF_NODES, &k, node)?;
    }
    Ok(CommandReply::Done)
}

pub(crate) fn set_node_state(tx: &mut Tx<'_>, id: NodeId, state: NodeState) -> Step<CommandReply> {
    let k = u64_key(id);
    let mut node: NodeInfo = tx
        .get(CF_NODES, &k)?
        .ok_or(Abort::App(MetaError::NoSuchNode))?;
    node.state = state;
    tx.put(CF_NODES, &k, &node)?;
    Ok(CommandReply::Done)
}

pub(crate) fn ack_gc(tx: &mut Tx<'_>, seqs: &[u64]) -> Step<CommandReply> {
    for seq in seqs {
        tx.delete(CF_GC, &u64_key(*seq))?;
    }
    Ok(CommandReply::Done)
}
