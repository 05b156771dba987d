//! The openraft type configuration of the metadata group.

use tessera_types::meta::{Command, CommandResult};

openraft::declare_raft_types!(
    /// Raft types of the metadata group: commands in, command results out.
    pub TypeConfig:
        D = Command,
        R = CommandResult,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<TypeConfig>,
        SnapshotData = crate::store::SnapshotFile,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A Raft node id.
pub type NodeId = u64;
/// A Raft node's address book entry.
pub type Node = openraft::BasicNode;
/// The running Raft instance.
pub type Raft = openraft::Raft<TypeConfig>;
/// A log entry.
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, Node>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, Node>;
pub type Snapshot = openraft::Snapshot<TypeConfig>;
