//! `tessera server`: every role in one process, wired exactly as in a
//! cluster: a single-voter meta group, several storage nodes on
//! sub-directories, a gateway and the workers, talking gRPC over loopback.

use crate::credentials::{self, Origin};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tessera_engine::{Engine, MetaClient};
use tessera_gateway::{Gateway, RootCredentials};
use tessera_meta::{MetaConfig, MetaNode};
use tessera_storage::{StorageConfig, StorageNode};
use tessera_storage_client::StoragePool;
use tessera_types::{now_millis, NodeInfo, NodeState};
use tessera_util::shutdown::{self, ShutdownTrigger};
use tessera_util::Config;
use tessera_workers::GcWorker;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::info;

/// A running all-in-one server.
pub struct RunningServer {
    pub s3_addr: SocketAddr,
    pub admin_addr: SocketAddr,
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

async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for the {what}"))
}

/// Starts every role. Returns once the S3 endpoint accepts requests.
pub async fn start(cfg: &Config) -> Result<RunningServer> {
    cfg.validate()?;
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
    let meta_listener = bind(cfg.meta.addr, "metadata node").await?;
    let meta_addr = meta_listener.local_addr()?;
    let meta = MetaNode::start(MetaConfig {
        node_id: cfg.meta.node_id,
        data_dir: data_dir.join("meta"),
        advertise_addr: meta_addr.to_string(),
        bootstrap: true,
        ..MetaConfig::default()
    })
    .await
    .context("starting the metadata node")?;
    {
        let meta = Arc::clone(&meta);
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = meta.serve(meta_listener, stop.wait()).await {
                tracing::error!(error = %e, "metadata gRPC server failed");
            }
        }));
    }
    meta.wait_for_leader(Duration::from_secs(30))
        .await
        .context("the metadata node did not elect itself leader")?;
    let meta_client = MetaClient::new(vec![meta_addr.to_string()])?;

    // Storage nodes, one per sub-directory, each its own failure domain.
    for i in 0..cfg.storage.nodes {
        let listener = bind(offset_addr(cfg.storage.addr, i), "storage node").await?;
        let addr = listener.local_addr()?;
        let zone = format!("zone-{}", i + 1);
        let node = StorageNode::open(StorageConfig {
            data_dirs: vec![data_dir.join("storage").join(format!("node{}", i + 1))],
            zone: zone.clone(),
        })
        .await
        .with_context(|| format!("opening storage node {}", i + 1))?;
        let capacity_bytes = node.status().await.map(|s| s.capacity_bytes).unwrap_or(0);
        meta_client
            .register_node(NodeInfo {
                id: node.node_id(),
                addr: addr.to_string(),
                zone,
                capacity_bytes,
                state: NodeState::Up,
                last_heartbeat: now_millis(),
            })
            .await
            .context("registering a storage node")?;
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = tessera_storage::serve(node, listener, stop.wait()).await {
                tracing::error!(error = %e, "storage gRPC server failed");
            }
        }));
    }

    // The data path and the gateway.
    let engine = Engine::new(meta_client, StoragePool::new(), &cfg.engine)?;
    engine
        .refresh_nodes()
        .await
        .context("loading the cluster map")?;
    tasks.push(engine.spawn_node_refresher(Duration::from_secs(5), stop.clone()));
    let gateway = Gateway::new(
        Arc::clone(&engine),
        root.clone(),
        cfg.region.clone(),
        cfg.gateway.domains.clone(),
        cfg.gateway.max_object_size,
    );
    let s3_listener = bind(cfg.gateway.s3_addr, "S3 API").await?;
    let admin_listener = bind(cfg.gateway.admin_addr, "admin API").await?;
    let s3_addr = s3_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    {
        let gw = Arc::clone(&gateway);
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = tessera_gateway::serve_s3(gw, s3_listener, stop.wait()).await {
                tracing::error!(error = %e, "S3 server failed");
            }
        }));
    }
    {
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = tessera_gateway::serve_admin(gateway, admin_listener, stop.wait()).await
            {
                tracing::error!(error = %e, "admin server failed");
            }
        }));
    }

    // Workers.
    let gc = GcWorker::new(
        engine,
        Duration::from_secs(cfg.worker.gc_interval_secs.max(1)),
    );
    tasks.push(tokio::spawn(gc.run(stop.clone())));

    info!(%s3_addr, %admin_addr, data_dir = %data_dir.display(), "tessera server started");
    Ok(RunningServer {
        s3_addr,
        admin_addr,
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
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
        self.meta
            .shutdown()
            .await
            .context("stopping the metadata node")?;
        info!("tessera server stopped");
        Ok(())
    }
}
