//! Configuration of a metadata node.

use std::path::PathBuf;

/// How a [`crate::MetaNode`] is started.
#[derive(Clone, Debug)]
pub struct MetaConfig {
    /// This node's Raft id, unique and stable across restarts.
    pub node_id: u64,
    /// Directory holding `meta.db` (created if missing).
    pub data_dir: PathBuf,
    /// Address other nodes and clients use to reach this node's gRPC ("127.0.0.1:7100").
    pub advertise_addr: String,
    /// If the Raft group is not initialized yet, initialize it: with
    /// `initial_members` as its voters, or this node alone when empty.
    pub bootstrap: bool,
    /// The voters of a new group (`node id`, gRPC address), this node
    /// included; used only with `bootstrap`.
    pub initial_members: Vec<(u64, String)>,
    /// Leader heartbeat period.
    pub heartbeat_interval_ms: u64,
    /// Minimum election timeout; the maximum is twice this.
    pub election_timeout_ms: u64,
    /// Build a snapshot (and purge the log) after this many applied entries.
    pub snapshot_logs_since_last: u64,
    /// Log entries kept behind a snapshot, so that a slightly lagging
    /// follower catches up by replication rather than by a snapshot transfer.
    pub snapshot_keep_logs: u64,
    /// How Raft connections to the other meta nodes are opened.
    pub transport: tessera_proto::Transport,
}

impl Default for MetaConfig {
    fn default() -> Self {
        MetaConfig {
            node_id: 1,
            data_dir: PathBuf::from("data/meta"),
            advertise_addr: "127.0.0.1:7100".to_string(),
            bootstrap: true,
            initial_members: Vec::new(),
            heartbeat_interval_ms: 250,
            election_timeout_ms: 1000,
            // Each snapshot writes the whole state: rare enough that its
            // cost per write stays small however large the state grows.
            snapshot_logs_since_last: 50_000,
            snapshot_keep_logs: 1000,
            transport: tessera_proto::Transport::tcp(),
        }
    }
}

impl MetaConfig {
    /// The openraft configuration derived from this one, validated.
    pub(crate) fn raft_config(&self) -> crate::Result<openraft::Config> {
        let cfg = openraft::Config {
            cluster_name: "tessera-meta".to_string(),
            heartbeat_interval: self.heartbeat_interval_ms,
            election_timeout_min: self.election_timeout_ms,
            election_timeout_max: self.election_timeout_ms.saturating_mul(2),
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(self.snapshot_logs_since_last),
            max_in_snapshot_log_to_keep: self.snapshot_keep_logs,
            ..Default::default()
        };
        cfg.validate()
            .map_err(|e| crate::Error::Config(e.to_string()))
    }
}
