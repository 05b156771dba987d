//! `tessera admin`: the admin API from the command line (part of the
//! binary, not of the library).

use crate::admin_replication::{self, RemoteCommand, ReplicationCommand};
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use tessera_cli::admin_client::{AdminClient, ENV_ENDPOINT};
use tessera_cli::credentials;
use tessera_gateway::admin::{BucketInfo, ClusterStatus, CreateKeyRequest};

#[derive(Args)]
pub struct AdminArgs {
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
    /// The cluster: metadata nodes and leader, storage nodes and their state.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Repair and scrub: what the last passes found and rebuilt.
    #[command(subcommand)]
    Repair(RepairCommand),
    /// The metadata group's membership.
    #[command(subcommand)]
    Meta(MetaCommand),
    /// Storage nodes.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Buckets: owners and configuration (ACL, policy, CORS, website).
    #[command(subcommand)]
    Bucket(BucketCommand),
    /// Notification topics: webhooks that bucket notification rules name by ARN.
    #[command(subcommand)]
    Topic(TopicCommand),
    /// Remote S3 endpoints that buckets replicate to.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Bucket replication: status and resync.
    #[command(subcommand)]
    Replication(ReplicationCommand),
}

#[derive(Subcommand)]
enum TopicCommand {
    /// Register a topic; prints its ARN (alone, for scripts).
    Create {
        /// 1 to 256 letters, digits, '-' and '_'.
        name: String,
        /// The http:// or https:// URL events are POSTed to.
        #[arg(long)]
        webhook: String,
    },
    /// List topics with their ARNs and webhooks.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a topic and its undelivered events.
    Delete { name: String },
    /// Events given up on after repeated failed deliveries.
    Failed {
        #[arg(long)]
        json: bool,
    },
    /// Deliver failed events again (one topic's, or all).
    Replay {
        #[arg(long)]
        topic: Option<String>,
    },
}

#[derive(Subcommand)]
enum BucketCommand {
    /// List every bucket and its owner.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show a bucket's owner, ACL, policy, CORS and website configuration.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum NodeCommand {
    /// Retire a storage node: it gets no new shards, repair rebuilds its
    /// shards on the other nodes, then the orphan sweep deletes what it still
    /// holds. Stop it once `repair status` shows nothing left to repair.
    Remove { node_id: u64 },
}

#[derive(Subcommand)]
enum MetaCommand {
    /// Add a running `tessera meta` node (started without --bootstrap) as a voter.
    AddVoter {
        #[arg(long)]
        node_id: u64,
        /// Its gRPC address, HOST:PORT.
        #[arg(long)]
        addr: String,
    },
    /// Remove a node from the metadata group.
    Remove { node_id: u64 },
}

#[derive(Subcommand)]
enum RepairCommand {
    /// Repair queue, blocks and objects below full redundancy, rebuild rate
    /// and ETA, last scrub and orphan sweep (ask a gateway that runs the
    /// workers).
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Show the metadata group (leader, members) and the storage nodes.
    Status {
        #[arg(long)]
        json: bool,
    },
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

/// Runs one `tessera admin` command.
pub async fn run_admin(args: AdminArgs) -> Result<()> {
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
        AdminCommand::Meta(MetaCommand::AddVoter { node_id, addr }) => {
            let s = client.add_voter(node_id, &addr).await?;
            println!(
                "node {node_id} is a voter; voters: {:?}",
                s.meta
                    .iter()
                    .filter(|m| m.voter)
                    .map(|m| m.node_id)
                    .collect::<Vec<_>>()
            );
        }
        AdminCommand::Meta(MetaCommand::Remove { node_id }) => {
            let s = client.remove_meta_node(node_id).await?;
            println!(
                "node {node_id} removed; voters: {:?}",
                s.meta
                    .iter()
                    .filter(|m| m.voter)
                    .map(|m| m.node_id)
                    .collect::<Vec<_>>()
            );
        }
        AdminCommand::Repair(RepairCommand::Status { json }) => {
            let s = client.repair_status().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_repair(&s);
            }
        }
        AdminCommand::Cluster(ClusterCommand::Status { json }) => {
            let s = client.cluster_status().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                print_cluster(&s);
            }
        }
        AdminCommand::Node(NodeCommand::Remove { node_id }) => {
            let s = client.remove_storage_node(node_id).await?;
            println!(
                "Storage node {node_id} removed: it gets no new shards, and repair rebuilds its shards on the other nodes."
            );
            println!(
                "Stop it once `tessera admin repair status` shows nothing below full redundancy.\n"
            );
            print_cluster(&s);
        }
        AdminCommand::Bucket(BucketCommand::List { json }) => {
            let buckets = client.list_buckets().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&buckets)?);
            } else {
                println!("{:<40} {:<24} CREATED", "BUCKET", "OWNER");
                for b in buckets {
                    println!(
                        "{:<40} {:<24} {}",
                        b.name,
                        b.owner,
                        tessera_s3_protocol::fmt::iso8601_millis(b.created)
                    );
                }
            }
        }
        AdminCommand::Bucket(BucketCommand::Show { name, json }) => {
            let b = client.bucket(&name).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else {
                print_bucket(&b)?;
            }
        }
        AdminCommand::Topic(TopicCommand::Create { name, webhook }) => {
            let topic = client.create_topic(&name, &webhook).await?;
            println!("{}", topic.arn);
        }
        AdminCommand::Topic(TopicCommand::List { json }) => {
            let topics = client.list_topics().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&topics)?);
            } else {
                println!("{:<24} {:<56} WEBHOOK", "TOPIC", "ARN");
                for t in topics {
                    println!("{:<24} {:<56} {}", t.name, t.arn, t.webhook);
                }
            }
        }
        AdminCommand::Topic(TopicCommand::Delete { name }) => {
            client.delete_topic(&name).await?;
            println!("Deleted topic {name}");
        }
        AdminCommand::Topic(TopicCommand::Failed { json }) => {
            let events = client.failed_events().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&events)?);
            } else {
                println!(
                    "{:<18} {:<16} {:<40} {:<9} ERROR",
                    "SEQUENCER", "TOPIC", "EVENT", "ATTEMPTS"
                );
                for e in events {
                    println!(
                        "{:016X}   {:<16} {:<40} {:<9} {}",
                        e.seq,
                        e.target.describe(),
                        format!("{} {}/{}", e.event.as_str(), e.bucket, e.key),
                        e.attempts,
                        e.failed.unwrap_or_default()
                    );
                }
            }
        }
        AdminCommand::Topic(TopicCommand::Replay { topic }) => {
            client.replay_events(topic.clone()).await?;
            match topic {
                Some(t) => println!("Failed events of topic {t} will be delivered again"),
                None => println!("Failed events will be delivered again"),
            }
        }
        AdminCommand::Remote(cmd) => admin_replication::remote(&client, cmd).await?,
        AdminCommand::Replication(cmd) => admin_replication::replication(&client, cmd).await?,
        AdminCommand::Key(KeyCommand::Delete { access_key }) => {
            client.delete_key(&access_key).await?;
            println!("Deleted access key {access_key}");
        }
    }
    Ok(())
}

/// A number with one decimal, or `-`.
fn print_bucket(b: &BucketInfo) -> Result<()> {
    println!("Bucket:   {}", b.name);
    println!("Owner:    {}", b.owner);
    println!(
        "Created:  {}",
        tessera_s3_protocol::fmt::iso8601_millis(b.created)
    );
    println!("Region:   {}", b.region);
    for (i, g) in b.acl.iter().enumerate() {
        let label = if i == 0 { "ACL:" } else { "" };
        println!("{label:<10}{} {}", g.grantee, g.permission);
    }
    if b.acl.is_empty() {
        println!("ACL:      no grants (the owner keeps full access)");
    }
    match &b.policy {
        Some(p) => println!("Policy:\n{}", serde_json::to_string_pretty(p)?),
        None => println!("Policy:   none"),
    }
    println!("CORS:     {}", b.cors.as_deref().unwrap_or("none"));
    println!("Website:  {}", b.website.as_deref().unwrap_or("none"));
    match &b.notification {
        Some(n) => {
            for (i, r) in n.rules.iter().enumerate() {
                let label = if i == 0 { "Notify:" } else { "" };
                println!(
                    "{label:<10}{} -> {} {} prefix={} suffix={}",
                    r.id,
                    r.topic,
                    r.events.join(","),
                    r.prefix.as_deref().unwrap_or("-"),
                    r.suffix.as_deref().unwrap_or("-")
                );
            }
        }
        None => println!("Notify:   none"),
    }
    Ok(())
}

fn num(v: &serde_json::Value) -> String {
    v.as_f64()
        .map(|f| format!("{f:.1}"))
        .unwrap_or_else(|| "-".into())
}

/// How long ago a Unix-milliseconds time was, e.g. `12s ago`.
fn ago(v: &serde_json::Value) -> String {
    match v.as_i64() {
        Some(at) => format!("{}s ago", (tessera_types::now_millis() - at).max(0) / 1000),
        None => "-".into(),
    }
}

/// A byte count in MiB with one decimal.
fn mib(v: &serde_json::Value) -> String {
    format!("{:.1}", v.as_f64().unwrap_or(0.0) / 1_048_576.0)
}

/// `tessera admin repair status` as text.
fn print_repair(s: &serde_json::Value) {
    let q = &s["repair_queue"];
    println!(
        "Repair queue:                  {} blocks (checked every {}s; {} blocks repaired from it since start)",
        s["repair_queue_length"], s["repair_queue_interval_secs"], q["blocks_repaired"]
    );
    match s.get("repair").filter(|r| !r.is_null()) {
        None => println!(
            "Repair: no full pass completed yet (every {}s)",
            s["repair_interval_secs"]
        ),
        Some(r) => {
            println!(
                "Blocks below full redundancy:  {}",
                s["blocks_below_full_redundancy"]
            );
            println!(
                "Objects below full redundancy: {}",
                s["objects_below_full_redundancy"]
            );
            println!(
                "Last repair pass:              {}: {} blocks checked ({} from the queue), {} degraded, {} shards ({} MiB) rebuilt in {}s",
                ago(&r["finished_at"]), r["blocks_checked"], r["queued_blocks"], r["blocks_degraded"],
                r["shards_rebuilt"], mib(&r["bytes_rebuilt"]), num(&r["seconds"])
            );
            println!(
                "Rebuild rate:                  {} MiB/s",
                num(&s["rebuild_rate_mib_s"])
            );
        }
    }
    println!("ETA to full redundancy:        {} s", num(&s["eta_secs"]));
    match s.get("scrub").filter(|r| !r.is_null()) {
        None => println!("Scrub: no pass completed yet"),
        Some(r) => {
            println!(
            "Last scrub pass:               {}: {} blocks checked, {} bad shards, {} rebuilt in {}s",
            ago(&r["finished_at"]), r["blocks_checked"], r["bad_shards"], r["shards_rebuilt"], num(&r["seconds"])
        )
        }
    }
    let gc = &s["gc"];
    println!(
        "GC:                            {} blocks freed since start",
        gc["blocks_freed"]
    );
    match gc.get("orphan_sweep").filter(|r| !r.is_null()) {
        None => println!(
            "Orphan sweep: none completed yet (every {}s, grace {}s)",
            gc["orphan_sweep_interval_secs"], gc["orphan_grace_secs"]
        ),
        Some(o) => println!(
            "Last orphan sweep:             {}: {} nodes ({} failed), {} shards listed, {} orphans and {} stale shards deleted ({} MiB) in {}s",
            ago(&o["finished_at"]), o["nodes_swept"], o["nodes_failed"], o["shards_listed"], o["orphans_deleted"],
            o["stale_deleted"], mib(&o["bytes_deleted"]), num(&o["seconds"])
        ),
    }
}

/// `tessera admin cluster status` as text.
fn print_cluster(s: &ClusterStatus) {
    match s.leader_id {
        Some(id) => println!(
            "Metadata leader:  node {id} at {} (term {})",
            s.leader_addr, s.term
        ),
        None => println!("Metadata leader:  none (term {})", s.term),
    }
    println!("\n{:<8} {:<24} VOTER", "META", "ADDRESS");
    for m in &s.meta {
        println!(
            "{:<8} {:<24} {}",
            m.node_id,
            m.addr,
            if m.voter { "yes" } else { "learner" }
        );
    }
    println!(
        "\n{:<22} {:<24} {:<10} {:<8} {:>10} HEARTBEAT",
        "STORAGE NODE", "ADDRESS", "ZONE", "STATE", "CAPACITY"
    );
    for n in &s.storage {
        println!(
            "{:<22} {:<24} {:<10} {:<8} {:>8}Gi {:.0}s ago",
            n.node_id,
            n.addr,
            n.zone,
            n.state,
            n.capacity_bytes >> 30,
            n.last_heartbeat_age_secs
        );
    }
}
