//! The admin API, on its own address: `GET /health` (liveness), `GET /ready`
//! (the metadata cluster answers), `GET /metrics` (Prometheus), and under
//! `/v1` the access keys, the buckets' configuration, the notification
//! topics, replication remotes and status, the cluster (metadata group, storage nodes) and the workers'
//! status, which require a SigV4 signature by the root key. Bodies
//! are JSON.

mod buckets;
mod cluster;
mod replication;
mod topics;

pub use buckets::{BucketInfo, BucketSummary, GrantInfo};
pub use cluster::{AddVoterRequest, ClusterStatus, MetaMember, StorageNodeStatus};
pub use replication::{
    CreateRemoteRequest, FailedTask, RemoteInfo, ReplicationReport, ResyncReport,
};
pub use tessera_types::events::Topic;
pub use topics::{CreateTopicRequest, ReplayRequest};

use crate::body::{self, Body};
use crate::Gateway;
use http::{Method, Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tessera_s3_protocol::auth::{self, RequestAuth};
use tessera_types::meta::MetaError;
use tessera_types::{now_millis, AccessKey};

/// A key as the admin API shows it (secrets only when created).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct KeyInfo {
    pub access_key_id: String,
    pub name: String,
    pub created: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret_key: Option<String>,
}

/// `POST /v1/keys` body.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct CreateKeyRequest {
    pub name: String,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_key: Option<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
}

pub(crate) fn json<T: Serialize>(status: StatusCode, v: &T) -> Response<Body> {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into());
    let mut r = Response::new(body::full(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

pub(crate) fn fail(status: StatusCode, msg: &str) -> Response<Body> {
    json(status, &ErrorBody { error: msg })
}

/// Answers one admin request.
pub async fn handle(gw: Arc<Gateway>, req: http::Request<Incoming>) -> Response<Body> {
    let (parts, incoming) = req.into_parts();
    let path = parts.uri.path().to_string();
    match (&parts.method, path.as_str()) {
        (&Method::GET, "/health") => {
            return json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
        }
        (&Method::GET, "/ready") => {
            // What this gateway itself can use: the cluster map, reloaded now.
            return match gw.engine.refresh_nodes().await {
                Ok(()) => json(
                    StatusCode::OK,
                    &serde_json::json!({"status": "ready", "storage_nodes": gw.engine.live_node_count()}),
                ),
                Err(e) => fail(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("metadata cluster unavailable: {e}"),
                ),
            };
        }
        (&Method::GET, "/metrics") => {
            let mut text = gw.metrics.encode();
            if let Some(w) = gw.workers.get() {
                crate::metrics::append_worker_metrics(&mut text, &w.status());
            }
            let mut r = Response::new(body::full(text));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            );
            return r;
        }
        _ => {}
    }
    if let Err(r) = authorize_root(&gw, &parts) {
        return *r;
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&parts.method, segments.as_slice()) {
        (&Method::GET, ["v1", "keys"]) => list_keys(&gw).await,
        (&Method::GET, ["v1", "cluster"]) => cluster::status(&gw).await,
        (&Method::GET, ["v1", "buckets"]) => buckets::list(&gw).await,
        (&Method::GET, ["v1", "buckets", name]) => buckets::show(&gw, name).await,
        (&Method::POST, ["v1", "meta", "voters"]) => cluster::add_voter(&gw, incoming).await,
        (&Method::DELETE, ["v1", "meta", "nodes", id]) => cluster::remove_meta_node(&gw, id).await,
        (&Method::DELETE, ["v1", "storage", "nodes", id]) => {
            cluster::remove_storage_node(&gw, id).await
        }
        (&Method::GET, ["v1", "repair"]) => match gw.workers.get() {
            Some(w) => json(StatusCode::OK, &w.status()),
            None => fail(
                StatusCode::NOT_FOUND,
                "no workers run in this gateway (start one with --workers)",
            ),
        },
        (&Method::POST, ["v1", "keys"]) => create_key(&gw, incoming).await,
        (&Method::DELETE, ["v1", "keys", id]) => delete_key(&gw, id).await,
        (&Method::GET, ["v1", "topics"]) => topics::list(&gw).await,
        (&Method::POST, ["v1", "topics"]) => topics::create(&gw, incoming).await,
        (&Method::DELETE, ["v1", "topics", name]) => topics::delete(&gw, name).await,
        (&Method::GET, ["v1", "events", "failed"]) => topics::failed_events(&gw).await,
        (&Method::POST, ["v1", "events", "replay"]) => topics::replay(&gw, incoming).await,
        (&Method::GET, ["v1", "remotes"]) => replication::list_remotes(&gw).await,
        (&Method::POST, ["v1", "remotes"]) => replication::create_remote(&gw, incoming).await,
        (&Method::DELETE, ["v1", "remotes", name]) => replication::delete_remote(&gw, name).await,
        (&Method::GET, ["v1", "replication", bucket]) => replication::status(&gw, bucket).await,
        (&Method::POST, ["v1", "replication", bucket, "resync"]) => {
            replication::resync(&gw, bucket).await
        }
        _ => fail(StatusCode::NOT_FOUND, "no such admin endpoint"),
    }
}

fn authorize_root(gw: &Gateway, parts: &http::request::Parts) -> Result<(), Box<Response<Body>>> {
    let denied = |m: &str| Box::new(fail(StatusCode::FORBIDDEN, m));
    let v4 = match auth::parse_auth(parts) {
        Ok(RequestAuth::V4(v4)) => v4,
        Ok(RequestAuth::V2(_)) => {
            return Err(denied("the admin API needs AWS Signature Version 4"))
        }
        Ok(RequestAuth::Anonymous) => {
            return Err(denied(
                "the admin API needs a request signed with the root key",
            ))
        }
        Err(e) => return Err(denied(&e.message)),
    };
    if v4.access_key_id != gw.root.access_key_id {
        return Err(denied("only the root key may use the admin API"));
    }
    auth::verify_v4(
        parts,
        &v4,
        &gw.root.secret_key,
        time::OffsetDateTime::now_utc(),
    )
    .map(|_| ())
    .map_err(|e| denied(&e.message))
}

/// Reads a JSON request body of at most 64 KiB; a 400 response otherwise.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    incoming: Incoming,
) -> Result<T, Box<Response<Body>>> {
    use http_body_util::BodyExt;
    let bytes = http_body_util::Limited::new(incoming, 64 * 1024)
        .collect()
        .await
        .map_err(|_| {
            Box::new(fail(
                StatusCode::BAD_REQUEST,
                "request body unreadable or too large",
            ))
        })?
        .to_bytes();
    serde_json::from_slice(&bytes)
        .map_err(|e| Box::new(fail(StatusCode::BAD_REQUEST, &format!("invalid JSON: {e}"))))
}

async fn list_keys(gw: &Gateway) -> Response<Body> {
    match gw.engine.meta().list_access_keys().await {
        Ok(keys) => json(
            StatusCode::OK,
            &keys
                .into_iter()
                .map(|k| KeyInfo {
                    access_key_id: k.access_key_id,
                    name: k.name,
                    created: k.created,
                    secret_key: None,
                })
                .collect::<Vec<_>>(),
        ),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

fn random_string(len: usize, alphabet: &[u8]) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A new access key id (20 characters, like AWS's) and secret (40).
pub fn generate_key_pair() -> (String, String) {
    let id = format!(
        "TK{}",
        random_string(18, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    let secret = random_string(
        40,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    );
    (id, secret)
}

fn valid_key_part(s: &str, min: usize) -> bool {
    (min..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

async fn create_key(gw: &Gateway, incoming: Incoming) -> Response<Body> {
    let req: CreateKeyRequest = match read_json(incoming).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if req.name.trim().is_empty() || req.name.len() > 128 {
        return fail(StatusCode::BAD_REQUEST, "name must be 1 to 128 characters");
    }
    let (gen_id, gen_secret) = generate_key_pair();
    let id = req.access_key_id.unwrap_or(gen_id);
    let secret = req.secret_key.unwrap_or(gen_secret);
    if !valid_key_part(&id, 3) || !valid_key_part(&secret, 8) {
        return fail(
            StatusCode::BAD_REQUEST,
            "access keys are 3-128 and secrets 8-128 printable ASCII characters",
        );
    }
    if id == gw.root.access_key_id {
        return fail(StatusCode::CONFLICT, "that access key id is the root key's");
    }
    let key = AccessKey {
        access_key_id: id.clone(),
        secret_key: secret.clone(),
        name: req.name.clone(),
        created: now_millis(),
    };
    match gw.engine.meta().create_access_key(key).await {
        Ok(()) => {
            tracing::info!(access_key_id = %id, name = %req.name, "access key created");
            gw.forget_key(&id);
            json(
                StatusCode::CREATED,
                &KeyInfo {
                    access_key_id: id,
                    name: req.name,
                    created: now_millis(),
                    secret_key: Some(secret),
                },
            )
        }
        Err(tessera_engine::MetaClientError::Meta(MetaError::AccessKeyExists)) => {
            fail(StatusCode::CONFLICT, "access key id already exists")
        }
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn delete_key(gw: &Gateway, id: &str) -> Response<Body> {
    match gw.engine.meta().delete_access_key(id).await {
        Ok(()) => {
            gw.forget_key(id);
            tracing::info!(access_key_id = %id, "access key deleted");
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(body::empty())
                .unwrap_or_else(|_| fail(StatusCode::NO_CONTENT, ""))
        }
        Err(tessera_engine::MetaClientError::Meta(MetaError::NoSuchAccessKey)) => {
            fail(StatusCode::NOT_FOUND, "no such access key")
        }
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}
