//! `tessera`: one binary, one subcommand per role.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use tessera_cli::admin_client::{AdminClient, ENV_ENDPOINT};
use tessera_cli::credentials::{self, Origin};
use tessera_cli::server;
use tessera_gateway::admin::CreateKeyRequest;
use tessera_util::Config;

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
    /// Administer a running Tessera through its admin API.
    Admin(AdminArgs),
}

#[derive(Args)]
struct ServerArgs {
    /// TOML configuration file (see docs/reference/configuration.md).
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Where metadata, shards and the root credentials live.
    #[arg(long, env = "TESSERA_DATA_DIR")]
    data_dir: Option<PathBuf>,
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
}

#[derive(Args)]
struct AdminArgs {
    /// Admin API URL [env TESSERA_ADMIN_ENDPOINT, default http://127.0.0.1:9100].
    #[arg(long, env = ENV_ENDPOINT, default_value = "http://127.0.0.1:9100")]
    endpoint: String,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Access keys: each key is its own principal; a bucket belongs to the key that created it.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create a key (generated unless both --access-key and --secret-key are given).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, requires = "secret_key")]
        access_key: Option<String>,
        #[arg(long, requires = "access_key")]
        secret_key: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List keys (without their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a key: it stops working at once; its buckets stay.
    Delete { access_key: String },
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
            Command::Admin(args) => run_admin(args).await,
        }
    })
}

fn server_config(args: ServerArgs) -> Result<Config> {
    let mut cfg = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    if let Some(d) = args.data_dir {
        cfg.data_dir = Some(d);
    }
    if let Some(a) = args.s3_addr {
        cfg.gateway.s3_addr = a;
    }
    if let Some(a) = args.admin_addr {
        cfg.gateway.admin_addr = a;
    }
    if let Some(r) = args.region {
        cfg.region = r;
    }
    if !args.domains.is_empty() {
        cfg.gateway.domains = args.domains;
    }
    cfg.validate()?;
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

async fn run_admin(args: AdminArgs) -> Result<()> {
    let root = credentials::from_env()?.with_context(|| {
        format!(
            "the admin API needs the root credentials: set {} and {}",
            credentials::ENV_ACCESS_KEY,
            credentials::ENV_SECRET_KEY
        )
    })?;
    let client = AdminClient::new(&args.endpoint, &root.access_key_id, &root.secret_key)?;
    match args.command {
        AdminCommand::Key(KeyCommand::Create {
            name,
            access_key,
            secret_key,
            json,
        }) => {
            let key = client
                .create_key(&CreateKeyRequest {
                    name,
                    access_key_id: access_key,
                    secret_key,
                })
                .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&key)?);
            } else {
                println!("Access key id:      {}", key.access_key_id);
                println!("Secret access key:  {}", key.secret_key.unwrap_or_default());
                println!("Name:               {}", key.name);
            }
        }
        AdminCommand::Key(KeyCommand::List { json }) => {
            let keys = client.list_keys().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&keys)?);
            } else {
                println!("{:<24} {:<32} CREATED", "ACCESS KEY ID", "NAME");
                for k in keys {
                    println!(
                        "{:<24} {:<32} {}",
                        k.access_key_id,
                        k.name,
                        tessera_s3_protocol::fmt::iso8601_millis(k.created)
                    );
                }
            }
        }
        AdminCommand::Key(KeyCommand::Delete { access_key }) => {
            client.delete_key(&access_key).await?;
            println!("Deleted access key {access_key}");
        }
    }
    Ok(())
}
