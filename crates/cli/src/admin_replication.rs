//! `tessera admin remote` and `tessera admin replication`.

use anyhow::Result;
use clap::Subcommand;
use tessera_cli::admin_client::AdminClient;
use tessera_gateway::admin::CreateRemoteRequest;

#[derive(Subcommand)]
pub enum RemoteCommand {
    /// Register a remote S3 endpoint: replication rules whose destination
    /// is arn:aws:s3:::BUCKET copy there instead of to a local bucket.
    Add {
        name: String,
        /// The endpoint URL, e.g. https://s3.example.com.
        #[arg(long)]
        endpoint: String,
        #[arg(long)]
        access_key: String,
        #[arg(long)]
        secret_key: String,
        /// The destination bucket on the remote.
        #[arg(long)]
        bucket: String,
        /// The region to sign for (this cluster's when omitted).
        #[arg(long)]
        region: Option<String>,
    },
    /// List remotes (without their secret keys).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Forget a remote: rules naming its bucket then copy to the local
    /// bucket of that name, if there is one.
    Delete { name: String },
}

#[derive(Subcommand)]
pub enum ReplicationCommand {
    /// A bucket's replication: destinations, backlog, lag and failures.
    Status {
        bucket: String,
        #[arg(long)]
        json: bool,
    },
    /// Replicate the bucket's existing objects (and retry failed ones).
    Resync { bucket: String },
}

pub async fn remote(client: &AdminClient, cmd: RemoteCommand) -> Result<()> {
    match cmd {
        RemoteCommand::Add {
            name,
            endpoint,
            access_key,
            secret_key,
            bucket,
            region,
        } => {
            let req = CreateRemoteRequest {
                name,
                endpoint,
                access_key,
                secret_key,
                bucket,
                region,
            };
            let r = client.create_remote(&req).await?;
            println!(
                "Remote {} registered: bucket {} at {} ({})",
                r.name, r.bucket, r.endpoint, r.region
            );
        }
        RemoteCommand::List { json } => {
            let remotes = client.list_remotes().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&remotes)?);
            } else {
                println!(
                    "{:<16} {:<24} {:<40} {:<12} ACCESS KEY",
                    "REMOTE", "BUCKET", "ENDPOINT", "REGION"
                );
                for r in remotes {
                    println!(
                        "{:<16} {:<24} {:<40} {:<12} {}",
                        r.name, r.bucket, r.endpoint, r.region, r.access_key
                    );
                }
            }
        }
        RemoteCommand::Delete { name } => {
            client.delete_remote(&name).await?;
            println!("Deleted remote {name}");
        }
    }
    Ok(())
}

pub async fn replication(client: &AdminClient, cmd: ReplicationCommand) -> Result<()> {
    match cmd {
        ReplicationCommand::Status { bucket, json } => {
            let r = client.replication_status(&bucket).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
                return Ok(());
            }
            println!("Bucket:        {}", r.bucket);
            if r.destinations.is_empty() {
                println!("Destinations:  none (no replication configuration)");
            } else {
                println!("Destinations:  {}", r.destinations.join(", "));
            }
            println!("Backlog:       {} objects", r.backlog);
            println!("Lag:           {:.1} s", r.lag_seconds);
            println!("Failed:        {} objects", r.failed);
            for f in &r.failures {
                println!(
                    "  {} -> {} ({} attempts): {}",
                    f.key, f.destination, f.attempts, f.error
                );
            }
            if r.failed > 0 {
                println!(
                    "Run `tessera admin replication resync {}` to try them again.",
                    r.bucket
                );
            }
        }
        ReplicationCommand::Resync { bucket } => {
            let r = client.resync_replication(&bucket).await?;
            println!(
                "Queued {} objects of {} for replication",
                r.queued, r.bucket
            );
        }
    }
    Ok(())
}
