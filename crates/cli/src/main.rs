//! `tessera`: one binary, one subcommand per role.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tessera_cli::credentials::{self, Origin};
use tessera_cli::{roles, server};
use tessera_proto::Transport;
use tessera_util::Config;

mod admin_cli;
mod admin_replication;
mod bench_cli;
mod cpu_ceiling;

use admin_cli::{run_admin, AdminArgs};
use bench_cli::{run_bench, BenchArgs};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: a distributed, S3-compatible object store"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every role in one process: metadata, storage nodes, S3 gateway and workers.
    Server(ServerArgs),
    /// Run a metadata node (one voter of the Raft group) of a cluster.
    Meta(MetaArgs),
    /// Run a storage node of a cluster: shards on one or more disks.
    Storage(StorageArgs),
    /// Run a stateless S3 gateway of a cluster (and, with --workers, the workers).
    Gateway(GatewayArgs),
    /// Run the background workers of a cluster (GC and the orphan sweep,
    /// repair, scrub, notification delivery, replication) without serving S3.
    Worker(WorkerArgs),
    /// Administer a running Tessera through its admin API.
    Admin(AdminArgs),
    /// Measure any S3 endpoint: put, get, mixed, list or multipart load.
    Bench(BenchArgs),
}

#[derive(Args)]
struct ServerArgs {
    /// TOML configuration file (see docs/reference/configuration.md).
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Where metadata, shards and the root credentials live.
    #[arg(long, env = "TESSERA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    gateway: GatewayFlags,
}

/// The flags of an S3 gateway, shared by `tessera server` and `tessera gateway`.
#[derive(Args)]
struct GatewayFlags {
    /// S3 API address [default: 127.0.0.1:9000].
    #[arg(long, env = "TESSERA_S3_ADDR")]
    s3_addr: Option<SocketAddr>,
    /// Admin API, health and metrics address [default: 127.0.0.1:9100].
    #[arg(long, env = "TESSERA_ADMIN_ADDR")]
    admin_addr: Option<SocketAddr>,
    /// Region reported to clients [default: us-east-1].
    #[arg(long, env = "TESSERA_REGION")]
    region: Option<String>,
    /// Domain for virtual-hosted-style requests (BUCKET.DOMAIN); repeatable.
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// Website endpoint address [default: 127.0.0.1:9080].
    #[arg(long, env = "TESSERA_WEBSITE_ADDR")]
    website_addr: Option<SocketAddr>,
    /// Website domain (BUCKET.DOMAIN on the website endpoint serves BUCKET); repeatable.
    #[arg(long = "website-domain")]
    website_domains: Vec<String>,
}

impl GatewayFlags {
    /// Overrides the configuration with the flags given.
    fn apply(self, cfg: &mut Config) {
        if let Some(a) = self.s3_addr {
            cfg.gateway.s3_addr = a;
        }
        if let Some(a) = self.admin_addr {
            cfg.gateway.admin_addr = a;
        }
        if let Some(r) = self.region {
            cfg.region = r;
        }
        if !self.domains.is_empty() {
            cfg.gateway.domains = self.domains;
        }
        if let Some(a) = self.website_addr {
            cfg.gateway.website_addr = a;
        }
        if !self.website_domains.is_empty() {
            cfg.gateway.website_domains = self.website_domains;
        }
    }
}

#[derive(Args)]
struct MetaArgs {
    /// TOML configuration file (see docs/reference/configuration.md).
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Where this node keeps its Raft log and state machine.
    #[arg(long, env = "TESSERA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Raft node id, unique in the cluster and stable across restarts.
    #[arg(long)]
    node_id: Option<u64>,
    /// gRPC listen address [default: 127.0.0.1:7100].
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Address the other nodes use to reach this one [default: --addr].
    #[arg(long)]
    advertise: Option<String>,
    /// Initialize a new cluster (on one node only, the first time).
    #[arg(long)]
    bootstrap: bool,
    /// An initial voter, ID=HOST:PORT (repeat for each, this node included).
    #[arg(long = "peer")]
    peers: Vec<String>,
}

#[derive(Args)]
struct StorageArgs {
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// A directory (disk) holding shards; repeat for several.
    #[arg(long = "data-dir")]
    data_dirs: Vec<PathBuf>,
    /// This node's failure domain [default: zone-1].
    #[arg(long)]
    zone: Option<String>,
    /// gRPC listen address [default: 127.0.0.1:7200].
    #[arg(long)]
    addr: Option<SocketAddr>,
    /// Address gateways use to reach this node [default: --addr].
    #[arg(long)]
    advertise: Option<String>,
    /// Metadata node addresses, HOST:PORT (repeat, or comma-separate).
    #[arg(long = "meta", env = "TESSERA_META_ENDPOINTS", value_delimiter = ',')]
    meta: Vec<String>,
}

#[derive(Args)]
struct WorkerArgs {
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Metadata node addresses, HOST:PORT (repeat, or comma-separate).
    #[arg(long = "meta", env = "TESSERA_META_ENDPOINTS", value_delimiter = ',')]
    meta: Vec<String>,
}

#[derive(Args)]
struct GatewayArgs {
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Metadata node addresses, HOST:PORT (repeat, or comma-separate).
    #[arg(long = "meta", env = "TESSERA_META_ENDPOINTS", value_delimiter = ',')]
    meta: Vec<String>,
    #[command(flatten)]
    gateway: GatewayFlags,
    /// Also run the background workers (GC) in this process.
    #[arg(long)]
    workers: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Server(args) => run_server(args).await,
            Command::Meta(args) => run_meta(args).await,
            Command::Storage(args) => run_storage(args).await,
            Command::Gateway(args) => run_gateway(args).await,
            Command::Worker(args) => run_worker(args).await,
            Command::Admin(args) => run_admin(args).await,
            Command::Bench(args) => run_bench(args).await,
        }
    })
}

fn load_config(path: &Option<PathBuf>) -> Result<Config> {
    Ok(match path {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    })
}

fn server_config(args: ServerArgs) -> Result<Config> {
    let mut cfg = load_config(&args.config)?;
    if let Some(d) = args.data_dir {
        cfg.data_dir = Some(d);
    }
    args.gateway.apply(&mut cfg);
    cfg.validate_single_server()?;
    Ok(cfg)
}

async fn run_server(args: ServerArgs) -> Result<()> {
    let cfg = server_config(args)?;
    tessera_util::logging::init(&cfg.log_level);
    let running = server::start(&cfg).await?;
    let origin = match running.credentials_origin {
        Origin::Environment => "from the environment",
        Origin::DataDir => "kept in the data directory",
        Origin::Generated => "generated now, kept in the data directory",
    };
    println!();
    println!("  Tessera is running.");
    println!();
    println!("  S3 endpoint:        http://{}", running.s3_addr);
    println!("  Access key id:      {}", running.root.access_key_id);
    println!("  Secret access key:  {}", running.root.secret_key);
    println!("  (root credentials {origin})");
    println!("  Region:             {}", cfg.region);
    println!("  Admin API:          http://{}", running.admin_addr);
    println!(
        "  Website endpoint:   http://{} (BUCKET.{} or /BUCKET/)",
        running.website_addr,
        cfg.gateway
            .website_domains
            .first()
            .map(String::as_str)
            .unwrap_or("localhost")
    );
    println!("  Data directory:     {}", running.data_dir.display());
    println!();
    println!(
        "  Try: AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} \\",
        running.root.access_key_id, running.root.secret_key
    );
    println!(
        "       aws --endpoint-url http://{} s3 mb s3://my-bucket",
        running.s3_addr
    );
    println!();
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await
}

async fn run_meta(args: MetaArgs) -> Result<()> {
    let mut cfg = load_config(&args.config)?;
    if let Some(d) = args.data_dir {
        cfg.data_dir = Some(d);
    }
    if let Some(id) = args.node_id {
        cfg.meta.node_id = id;
    }
    if let Some(a) = args.addr {
        cfg.meta.addr = a;
    }
    if args.advertise.is_some() {
        cfg.meta.advertise = args.advertise;
    }
    cfg.meta.bootstrap |= args.bootstrap;
    if !args.peers.is_empty() {
        cfg.meta.peers = args.peers;
    }
    cfg.validate()?;
    tessera_util::logging::init(&cfg.log_level);
    let data_dir = cfg
        .data_dir
        .clone()
        .context("a data directory is required (--data-dir)")?;
    let (trigger, stop) = tessera_util::shutdown::channel();
    let mut tasks = Vec::new();
    let listener = roles::bind(cfg.meta.addr, "metadata node").await?;
    let addr = listener.local_addr()?;
    let meta = roles::start_meta(
        &cfg,
        data_dir,
        listener,
        &Transport::tcp(),
        &stop,
        &mut tasks,
    )
    .await?;
    println!(
        "Tessera metadata node {} listening on {addr}",
        cfg.meta.node_id
    );
    stop_on_signal(trigger, tasks).await;
    meta.shutdown().await?;
    Ok(())
}

async fn run_storage(args: StorageArgs) -> Result<()> {
    let mut cfg = load_config(&args.config)?;
    if !args.data_dirs.is_empty() {
        cfg.storage.data_dirs = args.data_dirs;
    }
    if let Some(z) = args.zone {
        cfg.storage.zone = z;
    }
    if let Some(a) = args.addr {
        cfg.storage.addr = a;
    }
    if args.advertise.is_some() {
        cfg.storage.advertise = args.advertise;
    }
    if !args.meta.is_empty() {
        cfg.meta_endpoints = args.meta;
    }
    cfg.validate()?;
    tessera_util::logging::init(&cfg.log_level);
    anyhow::ensure!(
        !cfg.storage.data_dirs.is_empty(),
        "a storage node needs at least one --data-dir"
    );
    let meta = meta_client(&cfg)?;
    let (trigger, stop) = tessera_util::shutdown::channel();
    let mut tasks = Vec::new();
    let listener = roles::bind(cfg.storage.addr, "storage node").await?;
    let addr = listener.local_addr()?;
    let node = roles::start_storage(
        cfg.storage.data_dirs.clone(),
        cfg.storage.zone.clone(),
        listener,
        cfg.storage.advertise.clone(),
        meta,
        Duration::from_secs(cfg.storage.heartbeat_secs),
        &stop,
        &mut tasks,
    )
    .await?;
    println!(
        "Tessera storage node {} (zone {}) listening on {addr}",
        node.node_id(),
        cfg.storage.zone
    );
    stop_on_signal(trigger, tasks).await;
    Ok(())
}

async fn run_gateway(args: GatewayArgs) -> Result<()> {
    let mut cfg = load_config(&args.config)?;
    if !args.meta.is_empty() {
        cfg.meta_endpoints = args.meta;
    }
    args.gateway.apply(&mut cfg);
    cfg.gateway.workers |= args.workers;
    cfg.validate()?;
    tessera_util::logging::init(&cfg.log_level);
    let root = credentials::from_env()?.with_context(|| {
        format!(
            "a gateway needs the root credentials: set {} and {}",
            credentials::ENV_ACCESS_KEY,
            credentials::ENV_SECRET_KEY
        )
    })?;
    let meta = meta_client(&cfg)?;
    let (trigger, stop) = tessera_util::shutdown::channel();
    let mut tasks = Vec::new();
    let addrs = roles::start_gateway(
        &cfg,
        meta,
        root,
        cfg.gateway.workers,
        &Transport::tcp(),
        &stop,
        &mut tasks,
    )
    .await?;
    println!(
        "Tessera gateway: S3 on http://{}, admin on http://{}, website on http://{}",
        addrs.s3, addrs.admin, addrs.website
    );
    stop_on_signal(trigger, tasks).await;
    Ok(())
}

async fn run_worker(args: WorkerArgs) -> Result<()> {
    let mut cfg = load_config(&args.config)?;
    if !args.meta.is_empty() {
        cfg.meta_endpoints = args.meta;
    }
    cfg.validate()?;
    tessera_util::logging::init(&cfg.log_level);
    let meta = meta_client(&cfg)?;
    let (trigger, stop) = tessera_util::shutdown::channel();
    let mut tasks = Vec::new();
    let engine = roles::start_engine(&cfg, meta, &Transport::tcp(), &stop, &mut tasks).await?;
    let _workers = roles::start_workers(&cfg, engine, &stop, &mut tasks);
    println!(
        "Tessera worker: GC, repair, scrub and notification delivery for the cluster at {}",
        cfg.meta_endpoints.join(",")
    );
    stop_on_signal(trigger, tasks).await;
    Ok(())
}

fn meta_client(cfg: &Config) -> Result<tessera_engine::MetaClient> {
    anyhow::ensure!(
        !cfg.meta_endpoints.is_empty(),
        "no metadata nodes given: use --meta HOST:PORT (or TESSERA_META_ENDPOINTS, or meta_endpoints in the config file)"
    );
    roles::meta_client(cfg.meta_endpoints.clone(), &Transport::tcp())
}

/// Runs until SIGINT or SIGTERM, then stops the tasks (each given 15 s).
async fn stop_on_signal(
    trigger: tessera_util::shutdown::ShutdownTrigger,
    tasks: Vec<tokio::task::JoinHandle<()>>,
) {
    wait_for_signal().await;
    tracing::info!("shutting down");
    trigger.trigger();
    roles::join_all(tasks, Duration::from_secs(15)).await;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
