//! `tessera server`: every role in one process, wired exactly as in a
//! cluster: a single-voter meta group, several storage nodes on
//! sub-directories, a gateway and the workers, talking gRPC over loopback.

use crate::credentials::{self, Origin};
use crate::roles;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tessera_gateway::RootCredentials;
use tessera_meta::MetaNode;
use tessera_proto::Transport;
use tessera_util::shutdown::{self, ShutdownTrigger};
use tessera_util::Config;
use tokio::task::JoinHandle;
use tracing::info;

/// A running all-in-one server.
pub struct RunningServer {
    pub s3_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub website_addr: SocketAddr,
    /// The gRPC address of the metadata node.
    pub meta_addr: SocketAddr,
    pub root: RootCredentials,
    pub credentials_origin: Origin,
    pub data_dir: PathBuf,
    trigger: ShutdownTrigger,
    tasks: Vec<JoinHandle<()>>,
    meta: Arc<MetaNode>,
}

/// Port `base + offset`, or 0 (any free port) when `base` asks for any.
fn offset_addr(base: SocketAddr, offset: usize) -> SocketAddr {
    let mut a = base;
    if base.port() != 0 {
        a.set_port(base.port().saturating_add(offset as u16));
    }
    a
}

/// Starts every role. Returns once the S3 endpoint accepts requests.
pub async fn start(cfg: &Config) -> Result<RunningServer> {
    cfg.validate_single_server()?;
    let data_dir = cfg
        .data_dir
        .clone()
        .context("a data directory is required (--data-dir or data_dir in the config file)")?;
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let (root, credentials_origin) = credentials::load_or_create(&data_dir)?;
    let (trigger, stop) = shutdown::channel();
    let mut tasks = Vec::new();

    // Metadata: a single-voter Raft group.
    let mut meta_cfg = cfg.clone();
    meta_cfg.meta.bootstrap = true;
    meta_cfg.meta.peers.clear();
    let listener = roles::bind(cfg.meta.addr, "metadata node").await?;
    let meta_addr = listener.local_addr()?;
    let meta = roles::start_meta(
        &meta_cfg,
        data_dir.join("meta"),
        listener,
        &Transport::tcp(),
        &stop,
        &mut tasks,
    )
    .await?;
    meta.wait_for_leader(Duration::from_secs(30))
        .await
        .context("the metadata node did not elect itself leader")?;
    // The gateway, workers and storage nodes of this process call the meta
    // node and the storage nodes directly.
    let mut transport =
        Transport::tcp().with_local_meta(meta_addr.to_string(), meta.local_service());
    let meta_client = roles::meta_client(vec![meta_addr.to_string()], &transport)?;

    // Storage nodes, one per sub-directory, each its own failure domain.
    let heartbeat = Duration::from_secs(cfg.storage.heartbeat_secs);
    for i in 0..cfg.storage.nodes {
        let listener = roles::bind(offset_addr(cfg.storage.addr, i), "storage node").await?;
        let addr = listener.local_addr()?.to_string();
        let node = roles::start_storage(
            vec![data_dir.join("storage").join(format!("node{}", i + 1))],
            format!("zone-{}", i + 1),
            listener,
            None,
            meta_client.clone(),
            heartbeat,
            &stop,
            &mut tasks,
        )
        .await
        .with_context(|| format!("starting storage node {}", i + 1))?;
        transport = transport.with_local_storage(addr, node.local_service());
    }

    // The gateway and the workers.
    let addrs = roles::start_gateway(
        cfg,
        meta_client,
        root.clone(),
        true,
        &transport,
        &stop,
        &mut tasks,
    )
    .await?;
    info!(s3_addr = %addrs.s3, admin_addr = %addrs.admin, website_addr = %addrs.website, data_dir = %data_dir.display(), "tessera server started");
    Ok(RunningServer {
        s3_addr: addrs.s3,
        admin_addr: addrs.admin,
        website_addr: addrs.website,
        meta_addr,
        root,
        credentials_origin,
        data_dir,
        trigger,
        tasks,
        meta,
    })
}

impl RunningServer {
    /// Stops accepting requests, lets in-flight ones finish, stops every
    /// role and closes the metadata store.
    pub async fn shutdown(self) -> Result<()> {
        self.trigger.trigger();
        roles::join_all(self.tasks, Duration::from_secs(15)).await;
        self.meta
            .shutdown()
            .await
            .context("stopping the metadata node")?;
        info!("tessera server stopped");
        Ok(())
    }
}
