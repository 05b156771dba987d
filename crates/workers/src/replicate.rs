//! The replication worker: leases replication tasks from the outbox and
//! makes each destination's copy of a key match the source's current state,
//! then records the source's status (COMPLETED, or FAILED once given up
//! on) and acknowledges the task through Raft.
//!
//! A task names a key, not a version: copying whatever the key holds now is
//! idempotent and converges, so a task delivered twice (after a worker
//! died mid-copy) or late (after a newer write) does no harm. A destination
//! that already holds the same ETag and size is not written again.

use crate::outbox::{run_passes, Failure, OutboxStats, Pump};
use crate::remote::{refused, transient, RemoteClient, RemoteClients};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tessera_engine::{Engine, MetaClientError};
use tessera_types::events::{EventName, OutboxEvent, OutboxKind, ReplicaTarget, Target};
use tessera_types::meta::{MetaError, Precondition};
use tessera_types::replication::{ReplicationStatus, StatusUpdate};
use tessera_types::{now_millis, ObjectRecord};
use tessera_util::shutdown::Shutdown;
use tracing::{debug, info};

/// Tasks leased per pass (copied concurrently).
const BATCH: u32 = 16;
/// A lease; renewed every third of it while copies run.
const LEASE: Duration = Duration::from_secs(30);

pub struct ReplicationWorker {
    pump: Pump,
    idle: Duration,
    remotes: RemoteClients,
}

/// What the replication worker reports.
pub type ReplicationStats = OutboxStats;

/// Where a task's replica goes.
enum Destination {
    Local(String),
    Remote(Arc<RemoteClient>),
}

impl ReplicationWorker {
    pub fn new(engine: Arc<Engine>, idle: Duration) -> Arc<ReplicationWorker> {
        Arc::new(ReplicationWorker {
            pump: Pump::new(engine, OutboxKind::Replication, "replicate"),
            idle,
            remotes: RemoteClients::default(),
        })
    }

    pub fn stats(&self) -> ReplicationStats {
        self.pump.stats()
    }

    fn engine(&self) -> &Arc<Engine> {
        self.pump.engine()
    }

    /// One pass: lease, copy, record the statuses, acknowledge. Returns
    /// (done, failed).
    pub async fn pass(&self) -> Result<(usize, usize), tessera_engine::Error> {
        let tasks = self.pump.lease(LEASE, BATCH).await?;
        if tasks.is_empty() {
            return Ok((0, 0));
        }
        let remotes = self
            .remotes
            .for_remotes(&self.engine().meta().list_remotes().await?);
        // Leased tasks are at most one per key and destination, so they
        // may run concurrently without breaking per-key order.
        let remotes = &remotes;
        let copies = futures::future::join_all(tasks.iter().map(|t| async move {
            let outcome = match &t.target {
                Target::Replica(target) => {
                    let dest = match remotes.get(&target.bucket) {
                        Some(c) => Destination::Remote(Arc::clone(c)),
                        None => Destination::Local(target.bucket.clone()),
                    };
                    self.replicate(t, target, &dest).await
                }
                Target::Topic(_) => Err(Failure {
                    error: "not a replication task".into(),
                    max_attempts: 1,
                }),
            };
            (t, outcome)
        }));
        let results = self.renewing(&tasks, copies).await;
        let mut updates = Vec::new();
        let mut settled = Vec::with_capacity(results.len());
        for (task, outcome) in results {
            match &outcome {
                Ok(Some(update)) => updates.push(update.clone()),
                Ok(None) => {}
                Err(f) if task.attempts + 1 >= f.max_attempts => {
                    if let Some(u) = self.failed_status(task).await {
                        updates.push(u);
                    }
                }
                Err(_) => {}
            }
            settled.push((task.seq, outcome.map(|_| ())));
        }
        if !updates.is_empty() {
            self.engine().meta().set_replication_status(updates).await?;
        }
        let (ok, bad) = self.pump.settle(settled).await?;
        debug!(replicated = ok, failed = bad, "replication pass");
        Ok((ok, bad))
    }

    /// Awaits `work`, renewing the leases of `tasks` while it runs.
    async fn renewing<T>(
        &self,
        tasks: &[OutboxEvent],
        work: impl std::future::Future<Output = T>,
    ) -> T {
        tokio::pin!(work);
        let mut tick = tokio::time::interval(LEASE / 3);
        tick.tick().await;
        loop {
            tokio::select! {
                out = &mut work => return out,
                _ = tick.tick() => {
                    let seqs = tasks.iter().map(|t| t.seq).collect();
                    self.pump.renew(seqs, LEASE).await;
                }
            }
        }
    }

    /// Makes `dest`'s copy of the task's key match the source. Returns the
    /// status update of the source version copied, if one was.
    async fn replicate(
        &self,
        task: &OutboxEvent,
        target: &ReplicaTarget,
        dest: &Destination,
    ) -> Result<Option<StatusUpdate>, Failure> {
        let source = self
            .engine()
            .meta()
            .get_object(&task.bucket, &task.key)
            .await
            .map_err(|e| transient(format!("reading the source: {e}")))?;
        let Some(obj) = source else {
            // Gone since: its delete, when replicated, is this task or a
            // later one; either way the replica goes.
            if target.replicate_deletes {
                self.delete(dest, &task.key).await?;
            }
            return Ok(None);
        };
        if obj.replication_status == Some(ReplicationStatus::Replica) {
            return Ok(None);
        }
        let current = self.head(dest, &task.key).await?;
        if current.as_ref() != Some(&(obj.etag.clone(), obj.size)) {
            let class = target.storage_class.unwrap_or(obj.storage_class);
            let copied = match dest {
                Destination::Local(bucket) => self.put_local(bucket, &task.key, &obj, class).await,
                Destination::Remote(c) => c.put(self.engine(), &task.key, &obj, class).await,
            };
            if let Err(failure) = copied {
                return Err(self.explain(task, &obj, failure).await);
            }
            info!(
                bucket = %task.bucket,
                key = %task.key,
                destination = %target.bucket,
                size = obj.size,
                "replicated"
            );
        }
        Ok(Some(StatusUpdate {
            bucket: task.bucket.clone(),
            key: task.key.clone(),
            etag: obj.etag,
            last_modified: obj.last_modified,
            status: ReplicationStatus::Completed,
        }))
    }

    /// A failed copy, told apart from a source overwritten or deleted while
    /// it was being read (its blocks freed under the copy): then the next
    /// attempt copies the new state, and nothing is wrong.
    async fn explain(
        &self,
        task: &OutboxEvent,
        copied: &ObjectRecord,
        failure: Failure,
    ) -> Failure {
        let now = self
            .engine()
            .meta()
            .get_object(&task.bucket, &task.key)
            .await;
        let same =
            |o: &ObjectRecord| o.etag == copied.etag && o.last_modified == copied.last_modified;
        match now {
            Ok(Some(o)) if same(&o) => failure,
            Ok(_) => transient(format!(
                "{}/{} changed while it was copied; copying its new state",
                task.bucket, task.key
            )),
            Err(_) => failure,
        }
    }

    /// FAILED for the source's current version (a task given up on).
    async fn failed_status(&self, task: &OutboxEvent) -> Option<StatusUpdate> {
        let obj = self
            .engine()
            .meta()
            .get_object(&task.bucket, &task.key)
            .await
            .ok()??;
        Some(StatusUpdate {
            bucket: task.bucket.clone(),
            key: task.key.clone(),
            etag: obj.etag,
            last_modified: obj.last_modified,
            status: ReplicationStatus::Failed,
        })
    }

    async fn head(&self, dest: &Destination, key: &str) -> Result<Option<(String, u64)>, Failure> {
        match dest {
            Destination::Remote(c) => c.head(key).await,
            Destination::Local(bucket) => {
                match self.engine().meta().get_object(bucket, key).await {
                    Ok(o) => Ok(o.map(|o| (o.etag, o.size))),
                    Err(e) => Err(local_failure(bucket, e)),
                }
            }
        }
    }

    async fn delete(&self, dest: &Destination, key: &str) -> Result<(), Failure> {
        match dest {
            Destination::Remote(c) => c.delete(key).await,
            Destination::Local(bucket) => {
                match self.engine().meta().delete_object(bucket, key).await {
                    Ok(_) => Ok(()),
                    Err(e) => Err(local_failure(bucket, e)),
                }
            }
        }
    }

    /// Copies `obj` into `bucket` of this cluster as a replica: the same
    /// bytes, ETag, parts, metadata and content headers.
    async fn put_local(
        &self,
        bucket: &str,
        key: &str,
        obj: &ObjectRecord,
        class: tessera_types::StorageClass,
    ) -> Result<(), Failure> {
        let engine = self.engine();
        let body = engine
            .read(&obj.segments, 0..obj.size)
            .map(|r| r.map_err(|e| Box::new(e) as tessera_engine::BodyError))
            .boxed();
        let data = engine
            .write_data(class, body, u64::MAX)
            .await
            .map_err(|e| transient(format!("copying the data: {e}")))?;
        let owner = match engine.meta().get_bucket(bucket).await {
            Ok(Some(b)) => b.owner,
            Ok(None) => {
                engine.discard(&data.segments).await;
                return Err(local_failure(
                    bucket,
                    MetaClientError::Meta(MetaError::NoSuchBucket),
                ));
            }
            Err(e) => {
                engine.discard(&data.segments).await;
                return Err(local_failure(bucket, e));
            }
        };
        // A single-part object's ETag is its MD5: the copy must have it.
        if obj.parts.is_empty() && hex::encode(data.md5) != obj.etag {
            engine.discard(&data.segments).await;
            return Err(transient(format!(
                "the copy of {key} does not match its ETag {}",
                obj.etag
            )));
        }
        let replica = ObjectRecord {
            size: data.size,
            etag: obj.etag.clone(),
            last_modified: now_millis(),
            owner,
            storage_class: class,
            content: obj.content.clone(),
            user_meta: obj.user_meta.clone(),
            checksum: obj.checksum.clone(),
            parts: obj.parts.clone(),
            segments: data.segments.clone(),
            upload_id: None,
            acl: Default::default(),
            replication_status: Some(ReplicationStatus::Replica),
        };
        let put = engine.meta().put_object_as(
            bucket,
            key,
            replica,
            Precondition::None,
            EventName::ObjectCreatedPut,
        );
        if let Err(e) = put.await {
            let error = format!("recording the replica: {e}");
            let is_refusal = matches!(e, MetaClientError::Meta(_));
            engine.discard_uncommitted(&data.segments, &e).await;
            return Err(if is_refusal {
                refused(error)
            } else {
                transient(error)
            });
        }
        Ok(())
    }

    /// Runs passes until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: Shutdown) {
        let idle = self.idle;
        run_passes("replication", idle, shutdown, || self.pass()).await;
    }
}

/// A failure on a local destination: a missing bucket is kept as failed
/// after a few attempts; anything else is retried.
fn local_failure(bucket: &str, e: MetaClientError) -> Failure {
    match e {
        MetaClientError::Meta(MetaError::NoSuchBucket) => {
            refused(format!("destination bucket {bucket} does not exist"))
        }
        other => transient(format!("destination bucket {bucket}: {other}")),
    }
}
