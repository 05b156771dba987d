//! Replication administration: remote endpoints (`/v1/remotes`), a
//! bucket's replication status and resync (`/v1/replication/BUCKET`).

use super::{fail, json, read_json};
use crate::body::{self, Body};
use crate::Gateway;
use http::{Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use tessera_engine::MetaClientError;
use tessera_types::events::{OutboxKind, Target};
use tessera_types::meta::MetaError;
use tessera_types::now_millis;
use tessera_types::replication::Remote;

/// Objects queued per resync command (one Raft entry each).
const RESYNC_PAGE: u32 = 1000;
/// Failed tasks shown by the status.
const SHOWN_FAILURES: u32 = 100;

/// `POST /v1/remotes` body.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct CreateRemoteRequest {
    pub name: String,
    /// `http://` or `https://` URL of the S3 endpoint.
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    /// The bucket on the remote; rules whose destination is
    /// `arn:aws:s3:::BUCKET` replicate there.
    pub bucket: String,
    /// The region to sign for (the gateway's own when absent).
    #[serde(default)]
    pub region: Option<String>,
}

/// A remote as the admin API shows it (never its secret key).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct RemoteInfo {
    pub name: String,
    pub endpoint: String,
    pub access_key: String,
    pub bucket: String,
    pub region: String,
    pub created: i64,
}

impl From<Remote> for RemoteInfo {
    fn from(r: Remote) -> Self {
        RemoteInfo {
            name: r.name,
            endpoint: r.endpoint,
            access_key: r.access_key,
            bucket: r.bucket,
            region: r.region,
            created: r.created,
        }
    }
}

/// A replication task given up on.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct FailedTask {
    pub key: String,
    pub destination: String,
    pub attempts: u32,
    pub error: String,
}

/// `GET /v1/replication/BUCKET`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ReplicationReport {
    pub bucket: String,
    /// Destination bucket of each rule, with `remote NAME` for a remote.
    pub destinations: Vec<String>,
    /// Tasks waiting (or being copied).
    pub backlog: u64,
    /// Tasks given up on (`resync` tries them again).
    pub failed: u64,
    /// Age of the oldest waiting task.
    pub lag_seconds: f64,
    /// The first failed tasks.
    pub failures: Vec<FailedTask>,
}

/// `POST /v1/replication/BUCKET/resync` answer.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ResyncReport {
    pub bucket: String,
    /// Objects queued for replication.
    pub queued: u64,
}

fn unavailable(e: impl std::fmt::Display) -> Response<Body> {
    fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string())
}

pub(crate) async fn create_remote(gw: &Gateway, incoming: Incoming) -> Response<Body> {
    let req: CreateRemoteRequest = match read_json(incoming).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if !super::topics::valid_url(&req.endpoint) {
        return fail(
            StatusCode::BAD_REQUEST,
            "the endpoint must be an http:// or https:// URL",
        );
    }
    if tessera_s3_protocol::validate::validate_bucket_name(&req.bucket).is_err() {
        return fail(StatusCode::BAD_REQUEST, "invalid bucket name");
    }
    if req.name.is_empty() || req.access_key.is_empty() || req.secret_key.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            "a remote needs a name, an access key and a secret key",
        );
    }
    let remote = Remote {
        name: req.name,
        endpoint: req.endpoint.trim_end_matches('/').to_string(),
        access_key: req.access_key,
        secret_key: req.secret_key,
        bucket: req.bucket,
        region: req.region.unwrap_or_else(|| gw.region.clone()),
        created: now_millis(),
    };
    match gw.engine.meta().create_remote(remote.clone()).await {
        Ok(()) => {
            tracing::info!(remote = %remote.name, endpoint = %remote.endpoint, bucket = %remote.bucket, "remote registered");
            json(StatusCode::CREATED, &RemoteInfo::from(remote))
        }
        Err(MetaClientError::Meta(MetaError::RemoteExists(other))) => fail(
            StatusCode::CONFLICT,
            &format!(
                "remote {other} already has that name or serves bucket {}",
                remote.bucket
            ),
        ),
        Err(MetaClientError::Meta(MetaError::Invalid(m))) => fail(StatusCode::BAD_REQUEST, &m),
        Err(e) => unavailable(e),
    }
}

pub(crate) async fn list_remotes(gw: &Gateway) -> Response<Body> {
    match gw.engine.meta().list_remotes().await {
        Ok(r) => json(
            StatusCode::OK,
            &r.into_iter().map(RemoteInfo::from).collect::<Vec<_>>(),
        ),
        Err(e) => unavailable(e),
    }
}

pub(crate) async fn delete_remote(gw: &Gateway, name: &str) -> Response<Body> {
    match gw.engine.meta().delete_remote(name).await {
        Ok(()) => {
            tracing::info!(remote = %name, "remote deleted");
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(body::empty())
                .unwrap_or_else(|_| fail(StatusCode::NO_CONTENT, ""))
        }
        Err(MetaClientError::Meta(MetaError::NoSuchRemote(_))) => {
            fail(StatusCode::NOT_FOUND, &format!("no remote named {name}"))
        }
        Err(e) => unavailable(e),
    }
}

pub(crate) async fn status(gw: &Gateway, bucket: &str) -> Response<Body> {
    let meta = gw.engine.meta();
    let record = match meta.get_bucket(bucket).await {
        Ok(Some(b)) => b,
        Ok(None) => return fail(StatusCode::NOT_FOUND, &format!("no bucket named {bucket}")),
        Err(e) => return unavailable(e),
    };
    let (remotes, stats, failed) = match tokio::try_join!(
        meta.list_remotes(),
        meta.event_stats(Some(OutboxKind::Replication), Some(bucket)),
        meta.list_events(
            None,
            SHOWN_FAILURES,
            true,
            Some(OutboxKind::Replication),
            Some(bucket)
        ),
    ) {
        Ok(r) => r,
        Err(e) => return unavailable(e),
    };
    let destinations = record
        .replication
        .iter()
        .flat_map(|c| &c.rules)
        .map(
            |r| match remotes.iter().find(|m| m.bucket == r.destination_bucket) {
                Some(m) => format!("{} (remote {})", r.destination_bucket, m.name),
                None => r.destination_bucket.clone(),
            },
        )
        .collect();
    let failures = failed
        .into_iter()
        .map(|e| FailedTask {
            destination: match &e.target {
                Target::Replica(t) => t.bucket.clone(),
                Target::Topic(t) => t.clone(),
            },
            key: e.key,
            attempts: e.attempts,
            error: e.failed.unwrap_or_default(),
        })
        .collect();
    let report = ReplicationReport {
        bucket: bucket.to_string(),
        destinations,
        backlog: stats.pending,
        failed: stats.failed,
        lag_seconds: stats.lag_seconds(now_millis()),
        failures,
    };
    json(StatusCode::OK, &report)
}

pub(crate) async fn resync(gw: &Gateway, bucket: &str) -> Response<Body> {
    let meta = gw.engine.meta();
    let mut after = None;
    let mut queued = 0;
    loop {
        match meta
            .resync_replication(bucket, after.take(), RESYNC_PAGE, now_millis())
            .await
        {
            Ok((n, next)) => {
                queued += n;
                match next {
                    Some(k) => after = Some(k),
                    None => break,
                }
            }
            Err(MetaClientError::Meta(MetaError::NoSuchBucket)) => {
                return fail(StatusCode::NOT_FOUND, &format!("no bucket named {bucket}"))
            }
            Err(MetaClientError::Meta(MetaError::Invalid(m))) => {
                return fail(StatusCode::BAD_REQUEST, &m)
            }
            Err(e) => return unavailable(e),
        }
    }
    tracing::info!(bucket, queued, "replication resync queued");
    json(
        StatusCode::OK,
        &ResyncReport {
            bucket: bucket.to_string(),
            queued,
        },
    )
}
