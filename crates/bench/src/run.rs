//! Running a workload: prefill where it needs objects, then `concurrency`
//! client tasks until the duration or count is reached, then cleanup.

use crate::content;
use crate::report::{row, OpStats, Report};
use crate::sizes::SizeDist;
use crate::Error;
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// PUT new objects.
    Put,
    /// GET prefilled objects, every body verified.
    Get,
    /// 45% GET, 30% PUT, 15% HEAD, 10% DELETE over prefilled objects.
    Mixed,
    /// Prefill, then ListObjectsV2 over every key in pages of 1,000.
    List,
    /// Multipart uploads.
    Multipart,
}

impl Workload {
    pub fn parse(s: &str) -> Result<Workload, Error> {
        Ok(match s {
            "put" => Workload::Put,
            "get" => Workload::Get,
            "mixed" => Workload::Mixed,
            "list" => Workload::List,
            "multipart" => Workload::Multipart,
            _ => {
                return Err(Error::Invalid(format!(
                    "unknown workload {s:?} (put, get, mixed, list, multipart)"
                )))
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::Mixed => "mixed",
            Workload::List => "list",
            Workload::Multipart => "multipart",
        }
    }
}

/// When the measured phase ends.
#[derive(Clone, Copy, Debug)]
pub enum Limit {
    Duration(Duration),
    /// Operations in all (for `list`: full listings).
    Count(u64),
}

#[derive(Clone, Debug)]
pub struct BenchConfig {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub region: String,
    pub bucket: String,
    pub workload: Workload,
    pub sizes: SizeDist,
    pub concurrency: usize,
    pub limit: Limit,
    /// Objects written before a `get`, `mixed` or `list` run.
    pub objects: u64,
    /// Part size of `multipart` uploads.
    pub part_size: u64,
    /// Request bodies larger than this are streamed (`UNSIGNED-PAYLOAD`),
    /// smaller ones sent from memory with a signed payload.
    pub stream_above: u64,
    /// Draw a progress bar (on stderr).
    pub progress: bool,
    /// Leave the objects in place.
    pub keep: bool,
}

/// An object the run wrote: its seed and size (its key derives from them).
type Obj = (u64, u64);

/// What the client tasks share.
struct Shared {
    client: Client,
    cfg: BenchConfig,
    prefix: String,
    started: Instant,
    /// Operations started (for a count limit) and done, bytes moved.
    issued: AtomicU64,
    done: AtomicU64,
    bytes: AtomicU64,
}

impl Shared {
    /// Whether another operation may start.
    fn go_on(&self) -> bool {
        match self.cfg.limit {
            Limit::Duration(d) => self.started.elapsed() < d,
            Limit::Count(n) => self.issued.fetch_add(1, Ordering::Relaxed) < n,
        }
    }

    fn key(&self, o: Obj) -> String {
        content::key(&self.prefix, o.0, o.1)
    }
}

/// Runs the benchmark and reports.
pub async fn run(cfg: BenchConfig) -> Result<Report, Error> {
    if cfg.concurrency == 0 {
        return Err(Error::Invalid("concurrency must be at least 1".into()));
    }
    if cfg.workload == Workload::Multipart && cfg.part_size < 5 << 20 {
        return Err(Error::Invalid(
            "the part size must be at least 5 MiB".into(),
        ));
    }
    let client = crate::client::build(&cfg.endpoint, &cfg.access_key, &cfg.secret_key, &cfg.region);
    ensure_bucket(&client, &cfg.bucket).await?;
    let run_id: u32 = rand::thread_rng().gen();
    let prefix = format!("tessera-bench/{run_id:08x}/");
    let mut pools: Vec<Vec<Obj>> = vec![Vec::new(); cfg.concurrency];
    if matches!(
        cfg.workload,
        Workload::Get | Workload::Mixed | Workload::List
    ) {
        prefill(&client, &cfg, &prefix, &mut pools).await?;
    }
    let shared = Arc::new(Shared {
        client,
        cfg: cfg.clone(),
        prefix,
        started: Instant::now(),
        issued: AtomicU64::new(0),
        done: AtomicU64::new(0),
        bytes: AtomicU64::new(0),
    });
    let bar = progress_bar(&cfg);
    let ticker = tokio::spawn(tick(Arc::clone(&shared), bar.clone()));
    let tasks: Vec<_> = pools
        .into_iter()
        .enumerate()
        .map(|(i, pool)| tokio::spawn(client_task(Arc::clone(&shared), i as u64, pool)))
        .collect();
    let mut stats: BTreeMap<&'static str, OpStats> = BTreeMap::new();
    let mut left: Vec<Obj> = Vec::new();
    for t in tasks {
        let (task_stats, pool) = t
            .await
            .map_err(|e| Error::Setup(format!("client task failed: {e}")))?;
        for (op, s) in task_stats {
            stats.entry(op).or_insert_with(OpStats::new).merge(&s);
        }
        left.extend(pool);
    }
    let secs = shared.started.elapsed().as_secs_f64();
    ticker.abort();
    bar.finish_and_clear();
    if !cfg.keep {
        cleanup(&shared.client, &cfg.bucket, &shared.prefix).await;
    }
    let mut total = OpStats::new();
    for s in stats.values() {
        total.merge(s);
    }
    Ok(Report {
        endpoint: cfg.endpoint.clone(),
        workload: cfg.workload.name().into(),
        sizes: cfg.sizes.describe(),
        concurrency: cfg.concurrency,
        seconds: secs,
        ops: stats.iter().map(|(op, s)| row(op, s, secs)).collect(),
        total: row("total", &total, secs),
    })
}

async fn ensure_bucket(client: &Client, bucket: &str) -> Result<(), Error> {
    match client.create_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let code = e
                .as_service_error()
                .and_then(|s| aws_sdk_s3::error::ProvideErrorMetadata::code(s).map(str::to_string));
            match code.as_deref() {
                Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists") => Ok(()),
                _ => Err(Error::Setup(format!(
                    "cannot create bucket {bucket}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(&e)
                ))),
            }
        }
    }
}

fn progress_bar(cfg: &BenchConfig) -> ProgressBar {
    if !cfg.progress {
        return ProgressBar::hidden();
    }
    let bar = match cfg.limit {
        Limit::Duration(d) => ProgressBar::new(d.as_secs().max(1)),
        Limit::Count(n) => ProgressBar::new(n),
    };
    let template = match cfg.limit {
        Limit::Duration(_) => "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} s  {msg}",
        Limit::Count(_) => "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} ops  {msg}",
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Updates the progress bar with the rates of the last second.
async fn tick(shared: Arc<Shared>, bar: ProgressBar) {
    let mut last = (0u64, 0u64, Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let (ops, bytes) = (
            shared.done.load(Ordering::Relaxed),
            shared.bytes.load(Ordering::Relaxed),
        );
        let dt = last.2.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!(
            "{:.0} ops/s  {:.1} MiB/s",
            (ops - last.0) as f64 / dt,
            (bytes - last.1) as f64 / dt / (1024.0 * 1024.0)
        ));
        match shared.cfg.limit {
            Limit::Duration(_) => bar.set_position(shared.started.elapsed().as_secs()),
            Limit::Count(_) => bar.set_position(ops),
        }
        last = (ops, bytes, Instant::now());
    }
}

/// Writes `cfg.objects` objects, spread over the client tasks' pools.
async fn prefill(
    client: &Client,
    cfg: &BenchConfig,
    prefix: &str,
    pools: &mut [Vec<Obj>],
) -> Result<(), Error> {
    let bar = if cfg.progress {
        ProgressBar::new(cfg.objects)
    } else {
        ProgressBar::hidden()
    };
    bar.set_message("prefill");
    let mut rng = StdRng::from_entropy();
    let objs: Vec<Obj> = (0..cfg.objects)
        .map(|_| (rng.gen(), cfg.sizes.pick(&mut rng)))
        .collect();
    let writes = futures::stream::iter(objs.iter().copied().map(|o| {
        let key = content::key(prefix, o.0, o.1);
        let request = put_request(client, &cfg.bucket, key, o, cfg.stream_above);
        async move {
            request
                .send()
                .await
                .map(|_| o)
                .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(&e).to_string())
        }
    }))
    .buffer_unordered(cfg.concurrency.max(8));
    tokio::pin!(writes);
    let mut i = 0;
    while let Some(r) = writes.next().await {
        let o = r.map_err(|e| Error::Setup(format!("prefill failed: {e}")))?;
        pools[i % pools.len()].push(o);
        i += 1;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}

type TaskStats = BTreeMap<&'static str, OpStats>;

/// One client: operations back to back until the limit. Returns its
/// statistics and the objects it leaves.
async fn client_task(shared: Arc<Shared>, id: u64, mut pool: Vec<Obj>) -> (TaskStats, Vec<Obj>) {
    let mut rng = StdRng::seed_from_u64(rand::thread_rng().gen::<u64>() ^ id);
    let mut stats: TaskStats = BTreeMap::new();
    while shared.go_on() {
        let op = match shared.cfg.workload {
            Workload::Put => "PUT",
            Workload::Get => "GET",
            Workload::List => "LIST",
            Workload::Multipart => "MULTIPART",
            Workload::Mixed => match rng.gen_range(0..100) {
                0..45 => "GET",
                45..75 => "PUT",
                75..90 => "HEAD",
                _ => "DELETE",
            },
        };
        // GET, HEAD and DELETE need an object; with none left, write one.
        let op = if matches!(op, "GET" | "HEAD" | "DELETE") && pool.is_empty() {
            "PUT"
        } else {
            op
        };
        let s = stats.entry(op).or_insert_with(OpStats::new);
        let t0 = Instant::now();
        let outcome = match op {
            "PUT" => {
                let o = (rng.gen(), shared.cfg.sizes.pick(&mut rng));
                let r = put(&shared, o).await;
                if r.is_ok() {
                    pool.push(o);
                }
                r.map(|()| o.1)
            }
            "GET" => get(&shared, pool[rng.gen_range(0..pool.len())], s).await,
            "HEAD" => head(&shared, pool[rng.gen_range(0..pool.len())]).await,
            "DELETE" => {
                let o = pool.swap_remove(rng.gen_range(0..pool.len()));
                delete(&shared, o).await
            }
            "LIST" => list(&shared, s).await,
            _ => {
                let o = (rng.gen(), shared.cfg.sizes.pick(&mut rng));
                let r = multipart(&shared, o).await;
                if r.is_ok() {
                    pool.push(o);
                }
                r.map(|()| o.1)
            }
        };
        match outcome {
            Ok(bytes) => {
                s.ok(t0.elapsed(), bytes);
                shared.done.fetch_add(1, Ordering::Relaxed);
                shared.bytes.fetch_add(bytes, Ordering::Relaxed);
            }
            Err(e) => s.error(e),
        }
    }
    (stats, pool)
}

fn describe<E: std::error::Error + 'static>(e: &E) -> String {
    let mut s = aws_sdk_s3::error::DisplayErrorContext(e).to_string();
    s.truncate(300);
    s
}

/// The PutObject of `o` under `key`: its body from memory or streamed, by
/// its size (see [`content::request_body`]).
fn put_request(
    client: &Client,
    bucket: &str,
    key: String,
    o: Obj,
    stream_above: u64,
) -> PutObjectFluentBuilder {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_length(o.1 as i64)
        .body(content::request_body(o.0, o.1, 0, o.1, stream_above))
}

async fn put(shared: &Shared, o: Obj) -> Result<(), String> {
    let cfg = &shared.cfg;
    put_request(
        &shared.client,
        &cfg.bucket,
        shared.key(o),
        o,
        cfg.stream_above,
    )
    .send()
    .await
    .map(|_| ())
    .map_err(|e| describe(&e))
}

async fn get(shared: &Shared, o: Obj, s: &mut OpStats) -> Result<u64, String> {
    let resp = shared
        .client
        .get_object()
        .bucket(&shared.cfg.bucket)
        .key(shared.key(o))
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let body = resp
        .body
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .into_bytes();
    if !content::verify(o.0, o.1, &body) {
        s.corrupt += 1;
        return Err(format!(
            "{}: the body does not match what was written",
            shared.key(o)
        ));
    }
    Ok(body.len() as u64)
}

async fn head(shared: &Shared, o: Obj) -> Result<u64, String> {
    let h = shared
        .client
        .head_object()
        .bucket(&shared.cfg.bucket)
        .key(shared.key(o))
        .send()
        .await
        .map_err(|e| describe(&e))?;
    match h.content_length() {
        Some(n) if n as u64 == o.1 => Ok(0),
        other => Err(format!(
            "{}: Content-Length {other:?}, wrote {}",
            shared.key(o),
            o.1
        )),
    }
}

async fn delete(shared: &Shared, o: Obj) -> Result<u64, String> {
    shared
        .client
        .delete_object()
        .bucket(&shared.cfg.bucket)
        .key(shared.key(o))
        .send()
        .await
        .map(|_| 0)
        .map_err(|e| describe(&e))
}

/// One page of ListObjectsV2 (1,000 keys), continuing where this client's
/// previous page ended, from the start after the last one. Counts the keys.
async fn list(shared: &Shared, s: &mut OpStats) -> Result<u64, String> {
    let page = shared
        .client
        .list_objects_v2()
        .bucket(&shared.cfg.bucket)
        .prefix(&shared.prefix)
        .max_keys(1000)
        .set_continuation_token(s.list_token.take())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    s.items += page.contents().len() as u64;
    s.list_token = page.next_continuation_token().map(str::to_string);
    Ok(0)
}

async fn multipart(shared: &Shared, o: Obj) -> Result<(), String> {
    let (bucket, key) = (&shared.cfg.bucket, shared.key(o));
    let c = &shared.client;
    let upload = c
        .create_multipart_upload()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let id = upload.upload_id().unwrap_or_default().to_string();
    let part_size = shared.cfg.part_size.max(1);
    let mut parts = Vec::new();
    for (i, start) in (0..o.1.max(1)).step_by(part_size as usize).enumerate() {
        let n = i as i32 + 1;
        let len = part_size.min(o.1 - start);
        let r = c
            .upload_part()
            .bucket(bucket)
            .key(&key)
            .upload_id(&id)
            .part_number(n)
            .content_length(len as i64)
            .body(content::request_body(
                o.0,
                o.1,
                start,
                len,
                shared.cfg.stream_above,
            ))
            .send()
            .await;
        match r {
            Ok(p) => parts.push(
                CompletedPart::builder()
                    .part_number(n)
                    .set_e_tag(p.e_tag().map(str::to_string))
                    .build(),
            ),
            Err(e) => {
                let _ = c
                    .abort_multipart_upload()
                    .bucket(bucket)
                    .key(&key)
                    .upload_id(&id)
                    .send()
                    .await;
                return Err(describe(&e));
            }
        }
    }
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(&key)
        .upload_id(&id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| describe(&e))
}

/// Deletes every object under `prefix` (1,000 per request).
async fn cleanup(client: &Client, bucket: &str, prefix: &str) {
    let mut token = None;
    loop {
        let Ok(page) = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_continuation_token(token)
            .send()
            .await
        else {
            return;
        };
        let ids: Vec<ObjectIdentifier> = page
            .contents()
            .iter()
            .filter_map(|o| {
                ObjectIdentifier::builder()
                    .set_key(o.key().map(str::to_string))
                    .build()
                    .ok()
            })
            .collect();
        if !ids.is_empty() {
            if let Ok(delete) = Delete::builder().set_objects(Some(ids)).quiet(true).build() {
                let _ = client
                    .delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await;
            }
        }
        token = page.next_continuation_token().map(str::to_string);
        if token.is_none() {
            return;
        }
    }
}
