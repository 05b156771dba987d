//! Linearizable reads share read-index rounds.
//!
//! A linearizable read must see every write committed before it arrived, so
//! the leader confirms its leadership (a heartbeat round in a multi-node
//! group) and waits until it has applied up to its commit index, after the
//! read arrives. Every GET makes two such reads (its bucket, its object), and
//! many arrive at once; each round costs the Raft core a message, and in a
//! multi-node group a heartbeat to every follower.
//!
//! Reads that arrive while a round is running wait for the next round, which
//! starts after they arrived, and all of them share it: one round per
//! round-trip time however many reads there are, and no read is answered
//! from a round that started before it.

use crate::raft_types::{Node, NodeId, Raft};
use openraft::error::{CheckIsLeaderError, RaftError};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// The outcome of one read-index round.
pub(crate) type Outcome = Result<(), RaftError<NodeId, CheckIsLeaderError<NodeId, Node>>>;

/// Shares read-index rounds among concurrent linearizable reads.
pub(crate) struct ReadIndex {
    raft: Raft,
    state: Arc<Mutex<Waiting>>,
}

#[derive(Default)]
struct Waiting {
    /// A round is running (and a task drives the rounds).
    running: bool,
    /// Reads that arrived since the running round started.
    next: Vec<oneshot::Sender<Outcome>>,
}

impl ReadIndex {
    pub(crate) fn new(raft: Raft) -> ReadIndex {
        ReadIndex {
            raft,
            state: Arc::default(),
        }
    }

    /// Returns once this node, as leader, has applied every entry committed
    /// before the call: the state machine may then answer a linearizable
    /// read.
    pub(crate) async fn ensure(&self) -> Outcome {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut w = lock(&self.state);
            w.next.push(tx);
            !std::mem::replace(&mut w.running, true)
        };
        if start {
            tokio::spawn(drive(self.raft.clone(), Arc::clone(&self.state)));
        }
        match rx.await {
            Ok(outcome) => outcome,
            // The driving task ended without answering: the runtime is
            // shutting down.
            Err(_) => Err(RaftError::Fatal(openraft::error::Fatal::Stopped)),
        }
    }
}

fn lock(state: &Mutex<Waiting>) -> std::sync::MutexGuard<'_, Waiting> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs rounds until no read is waiting, each for the reads that arrived
/// before it started.
async fn drive(raft: Raft, state: Arc<Mutex<Waiting>>) {
    loop {
        let waiting = {
            let mut w = lock(&state);
            if w.next.is_empty() {
                w.running = false;
                return;
            }
            std::mem::take(&mut w.next)
        };
        let outcome = raft.ensure_linearizable().await.map(|_| ());
        for tx in waiting {
            let _ = tx.send(outcome.clone());
        }
    }
}
