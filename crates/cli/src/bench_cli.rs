//! `tessera bench`: the load generator's flags (part of the binary).

use anyhow::{Context, Result};
use clap::Args;
use std::time::Duration;
use tessera_bench::{BenchConfig, Limit, SizeDist, Workload};

#[derive(Args)]
pub struct BenchArgs {
    /// put, get, mixed (45% GET, 30% PUT, 15% HEAD, 10% DELETE), list or
    /// multipart; or cpu: the per-byte cost of a PUT on this machine, no server.
    workload: String,
    /// The S3 endpoint URL.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    endpoint: String,
    /// Access key [env AWS_ACCESS_KEY_ID, else TESSERA_ROOT_ACCESS_KEY].
    #[arg(long)]
    access_key: Option<String>,
    /// Secret key [env AWS_SECRET_ACCESS_KEY, else TESSERA_ROOT_SECRET_KEY].
    #[arg(long)]
    secret_key: Option<String>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// The bucket (created if missing). Objects go under tessera-bench/RUN/ and are deleted afterwards.
    #[arg(long, default_value = "tessera-bench")]
    bucket: String,
    /// Object size, e.g. 4KiB, 1MiB, or a weighted mix: 4KiB:80,1MiB:20
    /// [default 4KiB; for cpu, the buffer measured, 64MiB].
    #[arg(long)]
    size: Option<String>,
    /// Concurrent clients.
    #[arg(long, short = 'c', default_value_t = 16)]
    concurrency: usize,
    /// How long the measured phase runs, in seconds (unless --count).
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Operations in all, instead of a duration.
    #[arg(long)]
    count: Option<u64>,
    /// Objects written before a get, mixed or list run.
    #[arg(long, default_value_t = 1000)]
    objects: u64,
    /// Part size of multipart uploads.
    #[arg(long, default_value = "8MiB")]
    part_size: String,
    /// Bodies larger than this are streamed, as an SDK uploads a file
    /// (UNSIGNED-PAYLOAD); smaller ones are sent from memory with the
    /// payload's SHA-256 signed.
    #[arg(long, default_value = "8MiB")]
    stream_above: String,
    /// Print the results as JSON.
    #[arg(long)]
    json: bool,
    /// Leave the objects in the bucket.
    #[arg(long)]
    keep: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// The erasure profile `cpu` encodes with.
    #[arg(long, default_value = "2+1")]
    profile: String,
}

fn credential(given: Option<String>, names: [&str; 2]) -> Result<String> {
    given
        .or_else(|| names.iter().find_map(|n| std::env::var(n).ok()))
        .with_context(|| {
            format!(
                "give the credentials with flags or {} / {}",
                names[0], names[1]
            )
        })
}

pub async fn run_bench(args: BenchArgs) -> Result<()> {
    if args.workload == "cpu" {
        let size = tessera_bench::parse_size(args.size.as_deref().unwrap_or("64MiB"))?;
        return crate::cpu_ceiling::run(size as usize, &args.profile, args.json);
    }
    let cfg = BenchConfig {
        access_key: credential(
            args.access_key,
            ["AWS_ACCESS_KEY_ID", "TESSERA_ROOT_ACCESS_KEY"],
        )?,
        secret_key: credential(
            args.secret_key,
            ["AWS_SECRET_ACCESS_KEY", "TESSERA_ROOT_SECRET_KEY"],
        )?,
        endpoint: args.endpoint,
        region: args.region,
        bucket: args.bucket,
        workload: Workload::parse(&args.workload)?,
        sizes: SizeDist::parse(args.size.as_deref().unwrap_or("4KiB"))?,
        concurrency: args.concurrency,
        limit: match args.count {
            Some(n) => Limit::Count(n),
            None => Limit::Duration(Duration::from_secs(args.duration.max(1))),
        },
        objects: args.objects,
        part_size: tessera_bench::parse_size(&args.part_size)?,
        stream_above: tessera_bench::parse_size(&args.stream_above)?,
        progress: !args.quiet && !args.json,
        keep: args.keep,
    };
    let report = tessera_bench::run(cfg).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("{}", report.table());
    }
    let failed: u64 = report.ops.iter().map(|r| r.errors + r.corrupt).sum();
    if report.ops.iter().any(|r| r.corrupt > 0) {
        anyhow::bail!("{failed} operations failed, some bodies did not match what was written");
    }
    Ok(())
}
