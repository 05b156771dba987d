//! An in-process multi-node cluster: meta nodes (one Raft group), storage
//! nodes and gateways, each started by the same role functions as the
//! `tessera meta` / `storage` / `gateway` processes, on ephemeral loopback
//! ports, every node dialing out through one [`FaultNet`].
//!
//! Nodes are named `meta1..`, `storage1..`, `gateway1..`; those names are
//! what the fault table uses. A node can be stopped and started again on
//! the same address and data directory.

use crate::faults::FaultNet;
use crate::{sdk_client, TIMEOUT};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tessera_cli::roles;
use tessera_gateway::RootCredentials;
use tessera_meta::MetaNode;
use tessera_util::shutdown::{self, Shutdown, ShutdownTrigger};
use tessera_util::Config;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The shape of a cluster.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub metas: usize,
    pub storages: usize,
    pub gateways: usize,
    /// The STANDARD erasure profile, e.g. `"4+2"`.
    pub profile: &'static str,
    /// Seconds without a heartbeat before a storage node counts as down.
    pub node_timeout_secs: u64,
    pub repair_interval_secs: u64,
    pub scrub_interval_secs: u64,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            metas: 3,
            storages: 6,
            gateways: 2,
            profile: "4+2",
            node_timeout_secs: 3,
            repair_interval_secs: 1,
            scrub_interval_secs: 86_400,
        }
    }
}

/// The tasks of one running node and the trigger that stops them.
struct Running {
    trigger: ShutdownTrigger,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    fn new() -> (Running, Shutdown) {
        let (trigger, stop) = shutdown::channel();
        (
            Running {
                trigger,
                tasks: Vec::new(),
            },
            stop,
        )
    }

    /// Stops the node: graceful for a few seconds, then its tasks are
    /// aborted.
    async fn stop(self) {
        self.trigger.trigger();
        for mut t in self.tasks {
            if tokio::time::timeout(Duration::from_secs(5), &mut t)
                .await
                .is_err()
            {
                t.abort();
            }
        }
    }
}

struct MetaSlot {
    id: u64,
    addr: SocketAddr,
    dir: PathBuf,
    running: Option<(Arc<MetaNode>, Running)>,
}

struct StorageSlot {
    addr: SocketAddr,
    dir: PathBuf,
    running: Option<Running>,
}

struct GatewaySlot {
    s3: SocketAddr,
    admin: SocketAddr,
    running: Option<Running>,
}

/// A running in-process cluster. Dropping it stops nothing gracefully; call
/// [`Cluster::shutdown`].
pub struct Cluster {
    pub net: FaultNet,
    pub spec: ClusterSpec,
    cfg: Config,
    root: RootCredentials,
    metas: Vec<MetaSlot>,
    storages: Vec<StorageSlot>,
    gateways: Vec<GatewaySlot>,
    _dir: tempfile::TempDir,
}

/// Binds `addr`, retrying for a while: a stopped node's port may take a
/// moment to be released.
async fn bind(addr: SocketAddr) -> TcpListener {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(e) if tokio::time::Instant::now() > deadline => {
                panic!("cannot bind {addr}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn any_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

impl Cluster {
    /// Starts every node and waits until the metadata group has a leader
    /// and every storage node is registered.
    pub async fn start(spec: ClusterSpec) -> Cluster {
        tessera_util::logging::init("warn");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cfg = crate::test_config(dir.path());
        cfg.engine.standard_profile = spec.profile.to_string();
        cfg.engine.node_timeout_secs = spec.node_timeout_secs;
        cfg.storage.heartbeat_secs = 1;
        cfg.worker.repair_interval_secs = spec.repair_interval_secs;
        cfg.worker.scrub_interval_secs = spec.scrub_interval_secs;
        let mut cluster = Cluster {
            net: FaultNet::new(),
            spec: spec.clone(),
            cfg,
            root: RootCredentials {
                access_key_id: "TESSERACLUSTERTEST01".into(),
                secret_key: "cluster-test-secret-key-0123456789abcdef".into(),
            },
            metas: Vec::new(),
            storages: Vec::new(),
            gateways: Vec::new(),
            _dir: dir,
        };
        // Every meta node must know the others' addresses before any starts.
        let mut listeners = Vec::new();
        for i in 1..=spec.metas {
            let l = bind(any_addr()).await;
            let addr = l.local_addr().expect("bound address");
            cluster.net.register(&format!("meta{i}"), addr);
            cluster.metas.push(MetaSlot {
                id: i as u64,
                addr,
                dir: cluster._dir.path().join(format!("meta{i}")),
                running: None,
            });
            listeners.push(l);
        }
        for (i, l) in listeners.into_iter().enumerate() {
            cluster.start_meta_on(i, l).await;
        }
        cluster.wait_for_leader().await;
        for _ in 0..spec.storages {
            cluster.add_storage().await;
        }
        for _ in 0..spec.gateways {
            let i = cluster.gateways.len();
            cluster.gateways.push(GatewaySlot {
                s3: any_addr(),
                admin: any_addr(),
                running: None,
            });
            cluster.start_gateway(i).await;
        }
        cluster
    }

    pub fn meta_name(i: usize) -> String {
        format!("meta{}", i + 1)
    }
    pub fn storage_name(i: usize) -> String {
        format!("storage{}", i + 1)
    }
    pub fn gateway_name(i: usize) -> String {
        format!("gateway{}", i + 1)
    }

    fn meta_addrs(&self) -> Vec<String> {
        self.metas.iter().map(|m| m.addr.to_string()).collect()
    }

    /// Starts meta node `i` on `listener` (bootstrapping the group when
    /// `bootstrap`).
    async fn try_start_meta(
        &mut self,
        i: usize,
        listener: TcpListener,
        bootstrap: bool,
    ) -> anyhow::Result<()> {
        let slot = &self.metas[i];
        let mut cfg = self.cfg.clone();
        cfg.meta.node_id = slot.id;
        cfg.meta.bootstrap = bootstrap;
        cfg.meta.peers = self
            .metas
            .iter()
            .map(|m| format!("{}={}", m.id, m.addr))
            .collect();
        let (mut running, stop) = Running::new();
        let node = roles::start_meta(
            &cfg,
            slot.dir.clone(),
            listener,
            &self.net.transport(&Self::meta_name(i)),
            &stop,
            &mut running.tasks,
        )
        .await?;
        self.metas[i].running = Some((node, running));
        Ok(())
    }

    async fn start_meta_on(&mut self, i: usize, listener: TcpListener) {
        self.try_start_meta(i, listener, i == 0)
            .await
            .unwrap_or_else(|e| panic!("starting {}: {e:#}", Self::meta_name(i)));
    }

    /// Stops meta node `i` (0-based): its server and Raft stop and its
    /// database closes.
    pub async fn stop_meta(&mut self, i: usize) {
        let Some((node, running)) = self.metas[i].running.take() else {
            return;
        };
        running.stop().await;
        let _ = node.shutdown().await;
        drop(node);
    }

    /// Starts meta node `i` again on its address and data directory.
    pub async fn restart_meta(&mut self, i: usize) {
        assert!(self.metas[i].running.is_none(), "meta{} is running", i + 1);
        // The database of the stopped node may take a moment to close.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let listener = bind(self.metas[i].addr).await;
            match self.try_start_meta(i, listener, false).await {
                Ok(()) => return,
                Err(e) if tokio::time::Instant::now() < deadline => {
                    tracing::debug!(error = %e, "meta restart retry");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("restarting {}: {e:#}", Self::meta_name(i)),
            }
        }
    }

    /// The index of the meta node that leads, as the running nodes with the
    /// highest term see it.
    pub fn leader(&self) -> Option<usize> {
        let best = self
            .metas
            .iter()
            .filter_map(|m| m.running.as_ref().map(|(n, _)| n.status()))
            .filter(|s| s.leader_id.is_some())
            .max_by_key(|s| s.term)?;
        let id = best.leader_id?;
        self.metas.iter().position(|m| m.id == id)
    }

    /// Waits until a running meta node leads (and it is not cut off from
    /// a majority, as far as the fault table says), returning its index.
    pub async fn wait_for_leader(&self) -> usize {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            if let Some(l) = self.leader() {
                if self.metas[l].running.is_some() && !self.is_cut_off(l) {
                    return l;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no meta leader within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether meta node `i` cannot reach a majority of the group.
    fn is_cut_off(&self, i: usize) -> bool {
        let me = Self::meta_name(i);
        let reachable = (0..self.metas.len())
            .filter(|&j| self.metas[j].running.is_some())
            .filter(|&j| !self.net.is_blocked(&me, &Self::meta_name(j)))
            .count();
        reachable * 2 <= self.metas.len()
    }

    /// The index of the last log entry meta node `i` applied, if it runs.
    pub fn meta_applied(&self, i: usize) -> Option<u64> {
        let (node, _) = self.metas[i].running.as_ref()?;
        Some(node.status().last_applied_index)
    }

    /// A metadata client that is not subject to the fault table, for tests
    /// to inspect the cluster's state.
    pub fn inspector(&self) -> tessera_engine::MetaClient {
        roles::meta_client(self.meta_addrs(), &tessera_proto::Transport::tcp())
            .expect("meta client")
    }

    /// The gRPC address of storage node `i`.
    pub fn storage_addr(&self, i: usize) -> SocketAddr {
        self.storages[i].addr
    }

    /// Adds a new storage node (zone = its own name); returns its index.
    pub async fn add_storage(&mut self) -> usize {
        let i = self.storages.len();
        self.storages.push(StorageSlot {
            addr: any_addr(),
            dir: self._dir.path().join(Self::storage_name(i)),
            running: None,
        });
        self.start_storage(i).await;
        i
    }

    /// Starts (or restarts) storage node `i` on its address and directory.
    pub async fn start_storage(&mut self, i: usize) {
        let name = Self::storage_name(i);
        let listener = bind(self.storages[i].addr).await;
        let addr = listener.local_addr().expect("bound address");
        self.storages[i].addr = addr;
        self.net.register(&name, addr);
        let meta =
            roles::meta_client(self.meta_addrs(), &self.net.transport(&name)).expect("meta client");
        let (mut running, stop) = Running::new();
        roles::start_storage(
            vec![self.storages[i].dir.clone()],
            name.clone(),
            listener,
            None,
            meta,
            Duration::from_secs(self.cfg.storage.heartbeat_secs),
            &stop,
            &mut running.tasks,
        )
        .await
        .unwrap_or_else(|e| panic!("starting {name}: {e:#}"));
        self.storages[i].running = Some(running);
    }

    /// Stops storage node `i`: it no longer serves nor heartbeats.
    pub async fn stop_storage(&mut self, i: usize) {
        if let Some(r) = self.storages[i].running.take() {
            r.stop().await;
        }
    }

    /// The data directory of storage node `i`.
    pub fn storage_dir(&self, i: usize) -> PathBuf {
        self.storages[i].dir.clone()
    }

    async fn start_gateway(&mut self, i: usize) {
        let name = Self::gateway_name(i);
        let transport = self.net.transport(&name);
        let mut cfg = self.cfg.clone();
        cfg.gateway.s3_addr = self.gateways[i].s3;
        cfg.gateway.admin_addr = self.gateways[i].admin;
        let meta = roles::meta_client(self.meta_addrs(), &transport).expect("meta client");
        let (mut running, stop) = Running::new();
        // The first gateway runs the workers, as `--workers` would.
        let addrs = roles::start_gateway(
            &cfg,
            meta,
            self.root.clone(),
            i == 0,
            &transport,
            &stop,
            &mut running.tasks,
        )
        .await
        .unwrap_or_else(|e| panic!("starting {name}: {e:#}"));
        self.gateways[i].s3 = addrs.s3;
        self.gateways[i].admin = addrs.admin;
        self.gateways[i].running = Some(running);
    }

    /// Stops gateway `i` (and its workers, if it runs them): graceful for
    /// a few seconds, then its tasks are aborted, as a killed process's.
    pub async fn stop_gateway(&mut self, i: usize) {
        if let Some(r) = self.gateways[i].running.take() {
            r.stop().await;
        }
    }

    /// Starts gateway `i` again on its addresses (gateway 0 with the
    /// workers).
    pub async fn restart_gateway(&mut self, i: usize) {
        assert!(self.gateways[i].running.is_none(), "gateway{i} is running");
        self.start_gateway(i).await;
    }

    /// The S3 endpoint URL of gateway `i`.
    pub fn endpoint(&self, i: usize) -> String {
        format!("http://{}", self.gateways[i].s3)
    }

    /// The admin endpoint URL of gateway `i`.
    pub fn admin_endpoint(&self, i: usize) -> String {
        format!("http://{}", self.gateways[i].admin)
    }

    /// The S3 address of gateway `i`.
    pub fn s3_addr(&self, i: usize) -> SocketAddr {
        self.gateways[i].s3
    }

    /// An SDK client of gateway `i`, default settings.
    pub fn client(&self, i: usize) -> aws_sdk_s3::Client {
        sdk_client(
            &self.endpoint(i),
            &self.root.access_key_id,
            &self.root.secret_key,
        )
    }

    /// A raw HTTP client of gateway `i` (no retries).
    pub fn raw(&self, i: usize) -> crate::RawClient {
        crate::RawClient::new(
            self.gateways[i].s3,
            &self.root.access_key_id,
            &self.root.secret_key,
        )
    }

    pub fn root(&self) -> &RootCredentials {
        &self.root
    }

    /// Stops every node.
    pub async fn shutdown(mut self) {
        self.net.heal();
        for g in &mut self.gateways {
            if let Some(r) = g.running.take() {
                r.stop().await;
            }
        }
        for i in 0..self.storages.len() {
            self.stop_storage(i).await;
        }
        for i in 0..self.metas.len() {
            self.stop_meta(i).await;
        }
    }
}
