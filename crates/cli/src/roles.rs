//! Starting each role: the same functions wire `tessera server` (every role
//! in one process) and the `tessera meta` / `storage` / `gateway` processes
//! of a cluster.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tessera_engine::{Engine, MetaClient};
use tessera_gateway::{Gateway, RootCredentials};
use tessera_meta::{MetaConfig, MetaNode};
use tessera_proto::Transport;
use tessera_storage::{StorageConfig, StorageNode};
use tessera_storage_client::StoragePool;
use tessera_types::{now_millis, NodeInfo, NodeState};
use tessera_util::shutdown::Shutdown;
use tessera_util::Config;
use tessera_workers::{GcWorker, NotifyWorker, RepairWorker, ReplicationWorker, ScrubWorker};

/// How often the notification worker looks at an empty outbox.
const OUTBOX_IDLE: Duration = Duration::from_millis(500);
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// How long a gateway waits on the metadata cluster for one request: a
/// leader election takes a second or two, and a lost majority must become a
/// quick 503 ServiceUnavailable, not a hung client.
pub const GATEWAY_META_CALL: Duration = Duration::from_secs(4);
pub const GATEWAY_META_OVERALL: Duration = Duration::from_secs(8);

/// A metadata client for a gateway or storage node.
pub fn meta_client(endpoints: Vec<String>, transport: &Transport) -> Result<MetaClient> {
    Ok(MetaClient::with_transport(endpoints, transport.clone())?
        .with_timeout(GATEWAY_META_CALL, GATEWAY_META_OVERALL))
}

pub async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for the {what}"))
}

/// A metadata node serving gRPC on `listener`.
pub async fn start_meta(
    cfg: &Config,
    data_dir: PathBuf,
    listener: TcpListener,
    transport: &Transport,
    stop: &Shutdown,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<Arc<MetaNode>> {
    let bound = listener.local_addr()?;
    let advertise = cfg
        .meta
        .advertise
        .clone()
        .unwrap_or_else(|| bound.to_string());
    let initial_members = cfg
        .meta
        .peers
        .iter()
        .map(|p| tessera_util::config::parse_peer(p))
        .collect::<Result<Vec<_>, _>>()?;
    let meta = MetaNode::start(MetaConfig {
        node_id: cfg.meta.node_id,
        data_dir,
        advertise_addr: advertise,
        bootstrap: cfg.meta.bootstrap,
        initial_members,
        transport: transport.clone(),
        ..MetaConfig::default()
    })
    .await
    .context("starting the metadata node")?;
    let node = Arc::clone(&meta);
    let stop = stop.clone();
    tasks.push(tokio::spawn(async move {
        if let Err(e) = node.serve(listener, stop.wait()).await {
            tracing::error!(error = %e, "metadata gRPC server failed");
        }
    }));
    Ok(meta)
}

/// A storage node: serves its shards on `listener`, registers itself in the
/// cluster map and keeps its heartbeat fresh until `stop`.
#[allow(clippy::too_many_arguments)]
pub async fn start_storage(
    data_dirs: Vec<PathBuf>,
    zone: String,
    listener: TcpListener,
    advertise: Option<String>,
    meta: MetaClient,
    heartbeat: Duration,
    stop: &Shutdown,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<Arc<StorageNode>> {
    let addr = advertise.unwrap_or(listener.local_addr()?.to_string());
    let node = StorageNode::open(StorageConfig {
        data_dirs,
        zone: zone.clone(),
    })
    .await
    .context("opening the storage node")?;
    register(&meta, &node, &addr, &zone)
        .await
        .context("registering the storage node in the cluster map")?;
    {
        let node = Arc::clone(&node);
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = tessera_storage::serve(node, listener, stop.wait()).await {
                tracing::error!(error = %e, "storage gRPC server failed");
            }
        }));
    }
    let node2 = Arc::clone(&node);
    let stop = stop.clone();
    tasks.push(tokio::spawn(async move {
        let wait = stop.clone().wait();
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => return,
                _ = tokio::time::sleep(heartbeat) => {}
            }
            if let Err(e) = register(&meta, &node2, &addr, &zone).await {
                warn!(node_id = node2.node_id(), error = %e, "heartbeat to the metadata cluster failed");
            }
        }
    }));
    info!(node_id = node.node_id(), zone = %node.zone(), "storage node registered");
    Ok(node)
}

/// Adds or refreshes this node in the cluster map (the heartbeat).
async fn register(meta: &MetaClient, node: &StorageNode, addr: &str, zone: &str) -> Result<()> {
    let capacity_bytes = node.status().await.map(|s| s.capacity_bytes).unwrap_or(0);
    meta.register_node(NodeInfo {
        id: node.node_id(),
        addr: addr.to_string(),
        zone: zone.to_string(),
        capacity_bytes,
        state: NodeState::Up,
        last_heartbeat: now_millis(),
    })
    .await?;
    Ok(())
}

/// What a running gateway listens on.
pub struct GatewayAddrs {
    pub s3: SocketAddr,
    pub admin: SocketAddr,
    pub website: SocketAddr,
}

/// The engine of a gateway or worker process: storage clients through
/// `transport`, and the cluster map loaded and kept fresh until `stop`.
pub async fn start_engine(
    cfg: &Config,
    meta: MetaClient,
    transport: &Transport,
    stop: &Shutdown,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<Arc<Engine>> {
    let engine = Engine::new(
        meta,
        StoragePool::new().with_transport(transport.clone()),
        &cfg.engine,
    )?;
    engine
        .refresh_nodes()
        .await
        .context("loading the cluster map")?;
    let refresh = Duration::from_secs(cfg.storage.heartbeat_secs.clamp(1, 5));
    tasks.push(engine.spawn_node_refresher(refresh, stop.clone()));
    Ok(engine)
}

/// The background workers (GC and the orphan sweep, repair, scrub,
/// notification delivery, replication), running until `stop`; what the admin API
/// reports of them.
pub fn start_workers(
    cfg: &Config,
    engine: Arc<Engine>,
    stop: &Shutdown,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Arc<dyn tessera_gateway::WorkerStatus> {
    let w = &cfg.worker;
    let secs = |s: u64| Duration::from_secs(s.max(1));
    let gc = GcWorker::new(
        Arc::clone(&engine),
        secs(w.gc_interval_secs),
        secs(w.orphan_sweep_interval_secs),
        Duration::from_secs(w.orphan_grace_secs),
    );
    tasks.push(tokio::spawn(Arc::clone(&gc).run(stop.clone())));
    let repair = RepairWorker::new(
        Arc::clone(&engine),
        secs(w.repair_interval_secs),
        secs(w.repair_queue_interval_secs),
    );
    tasks.push(tokio::spawn(Arc::clone(&repair).run(stop.clone())));
    let notify = NotifyWorker::new(Arc::clone(&engine), &cfg.region, OUTBOX_IDLE);
    tasks.push(tokio::spawn(Arc::clone(&notify).run(stop.clone())));
    let replication = ReplicationWorker::new(Arc::clone(&engine), OUTBOX_IDLE);
    tasks.push(tokio::spawn(Arc::clone(&replication).run(stop.clone())));
    let scrub = ScrubWorker::new(engine, secs(w.scrub_interval_secs));
    tasks.push(tokio::spawn(Arc::clone(&scrub).run(stop.clone())));
    Arc::new(Workers {
        repair,
        scrub,
        gc,
        notify,
        replication,
    })
}

/// A gateway (S3 and admin APIs, website endpoint), and with `workers` the
/// background workers.
pub async fn start_gateway(
    cfg: &Config,
    meta: MetaClient,
    root: RootCredentials,
    workers: bool,
    transport: &Transport,
    stop: &Shutdown,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<GatewayAddrs> {
    let engine = start_engine(cfg, meta, transport, stop, tasks).await?;
    let gateway = Gateway::new(
        Arc::clone(&engine),
        root,
        cfg.region.clone(),
        cfg.gateway.domains.clone(),
        cfg.gateway.max_object_size,
    );
    let gateway_ref = Arc::clone(&gateway);
    let s3_listener = bind(cfg.gateway.s3_addr, "S3 API").await?;
    let admin_listener = bind(cfg.gateway.admin_addr, "admin API").await?;
    let website_listener = bind(cfg.gateway.website_addr, "website endpoint").await?;
    let addrs = GatewayAddrs {
        s3: s3_listener.local_addr()?,
        admin: admin_listener.local_addr()?,
        website: website_listener.local_addr()?,
    };
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
        let gw = Arc::clone(&gateway);
        let domains = cfg.gateway.website_domains.clone();
        let stop = stop.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) =
                tessera_gateway::serve_website(gw, website_listener, domains, stop.wait()).await
            {
                tracing::error!(error = %e, "website server failed");
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
    if workers {
        gateway_ref.set_workers(start_workers(cfg, engine, stop, tasks));
    }
    Ok(addrs)
}

/// Waits for every task, each at most `limit`.
pub async fn join_all(tasks: Vec<JoinHandle<()>>, limit: Duration) {
    for t in tasks {
        let _ = tokio::time::timeout(limit, t).await;
    }
}

/// The workers of a process, as the admin API reports them.
struct Workers {
    repair: Arc<RepairWorker>,
    scrub: Arc<ScrubWorker>,
    gc: Arc<GcWorker>,
    notify: Arc<NotifyWorker>,
    replication: Arc<ReplicationWorker>,
}

impl tessera_gateway::WorkerStatus for Workers {
    fn status(&self) -> serde_json::Value {
        let report = tessera_workers::report(&self.repair, &self.scrub, &self.gc);
        let mut v = serde_json::to_value(report).unwrap_or_default();
        v["notifications"] = serde_json::to_value(self.notify.stats()).unwrap_or_default();
        v["replication"] = serde_json::to_value(self.replication.stats()).unwrap_or_default();
        v
    }
}
