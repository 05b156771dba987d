//! A client of the admin API, signing each request with the root key.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use std::time::Duration;
use tessera_gateway::admin::{
    AddVoterRequest, BucketInfo, BucketSummary, ClusterStatus, CreateKeyRequest,
    CreateRemoteRequest, CreateTopicRequest, KeyInfo, RemoteInfo, ReplicationReport, ResyncReport,
    Topic,
};
use tessera_s3_protocol::auth::client::{sign_request, SigningParams};

pub const ENV_ENDPOINT: &str = "TESSERA_ADMIN_ENDPOINT";
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct AdminClient {
    endpoint: String,
    access_key: String,
    secret_key: String,
    http: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl AdminClient {
    pub fn new(endpoint: &str, access_key: &str, secret_key: &str) -> Result<AdminClient> {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        if !endpoint.starts_with("http://") {
            bail!("the admin endpoint must be an http:// URL, got {endpoint:?}");
        }
        Ok(AdminClient {
            endpoint,
            access_key: access_key.to_string(),
            secret_key: secret_key.to_string(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<(http::StatusCode, Bytes)> {
        let url = format!("{}{}", self.endpoint, path);
        let uri: http::Uri = url.parse().with_context(|| format!("invalid URL {url}"))?;
        let host = uri
            .authority()
            .map(|a| a.to_string())
            .context("the endpoint has no host")?;
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::HOST, host.parse()?);
        if !body.is_empty() {
            headers.insert(http::header::CONTENT_TYPE, "application/json".parse()?);
        }
        let hash = hex::encode(Sha256::digest(&body));
        sign_request(
            &method,
            &uri,
            &mut headers,
            &hash,
            &SigningParams {
                access_key: &self.access_key,
                secret_key: &self.secret_key,
                region: "us-east-1",
                service: "s3",
                now: time::OffsetDateTime::now_utc(),
            },
        )
        .map_err(|e| anyhow::anyhow!("signing the request: {e}"))?;
        let mut req = http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(Bytes::from(body)))?;
        *req.headers_mut() = headers;
        let resp = tokio::time::timeout(TIMEOUT, self.http.request(req))
            .await
            .with_context(|| format!("no answer from {} within {TIMEOUT:?}", self.endpoint))?
            .with_context(|| format!("cannot reach the admin API at {}", self.endpoint))?;
        let status = resp.status();
        let bytes = tokio::time::timeout(TIMEOUT, resp.into_body().collect())
            .await
            .context("reading the admin API's answer timed out")??
            .to_bytes();
        Ok((status, bytes))
    }

    fn error(status: http::StatusCode, body: &Bytes) -> anyhow::Error {
        let msg = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
        anyhow::anyhow!("admin API answered {status}: {msg}")
    }

    /// Sends a request and returns the body of a successful answer (an
    /// error carrying the API's message otherwise).
    async fn request(&self, method: http::Method, path: &str, body: Vec<u8>) -> Result<Bytes> {
        let (status, body) = self.call(method, path, body).await?;
        if !status.is_success() {
            return Err(Self::error(status, &body));
        }
        Ok(body)
    }

    /// As [`Self::request`], parsing the answer as JSON.
    async fn request_json<T: serde::de::DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T> {
        Ok(serde_json::from_slice(
            &self.request(method, path, body).await?,
        )?)
    }

    /// GETs `path` and parses its JSON answer.
    async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request_json(http::Method::GET, path, Vec::new()).await
    }

    pub async fn create_key(&self, req: &CreateKeyRequest) -> Result<KeyInfo> {
        self.request_json(http::Method::POST, "/v1/keys", serde_json::to_vec(req)?)
            .await
    }

    pub async fn add_voter(&self, node_id: u64, addr: &str) -> Result<ClusterStatus> {
        let body = serde_json::to_vec(&AddVoterRequest {
            node_id,
            addr: addr.to_string(),
        })?;
        self.request_json(http::Method::POST, "/v1/meta/voters", body)
            .await
    }

    pub async fn remove_meta_node(&self, node_id: u64) -> Result<ClusterStatus> {
        let path = format!("/v1/meta/nodes/{node_id}");
        self.request_json(http::Method::DELETE, &path, Vec::new())
            .await
    }

    /// Retires a storage node (`DELETE /v1/storage/nodes/ID`); returns the
    /// cluster status after the change.
    pub async fn remove_storage_node(&self, node_id: u64) -> Result<ClusterStatus> {
        let path = format!("/v1/storage/nodes/{node_id}");
        self.request_json(http::Method::DELETE, &path, Vec::new())
            .await
    }

    pub async fn cluster_status(&self) -> Result<ClusterStatus> {
        self.get_json("/v1/cluster").await
    }

    /// The workers' last passes (`GET /v1/repair`).
    pub async fn repair_status(&self) -> Result<serde_json::Value> {
        self.get_json("/v1/repair").await
    }

    /// Every bucket and its owner.
    pub async fn list_buckets(&self) -> Result<Vec<BucketSummary>> {
        self.get_json("/v1/buckets").await
    }

    /// One bucket's owner, ACL, policy, CORS and website configuration.
    pub async fn bucket(&self, name: &str) -> Result<BucketInfo> {
        self.get_json(&format!("/v1/buckets/{name}")).await
    }

    pub async fn list_keys(&self) -> Result<Vec<KeyInfo>> {
        self.get_json("/v1/keys").await
    }

    pub async fn delete_key(&self, access_key_id: &str) -> Result<()> {
        let path = format!("/v1/keys/{access_key_id}");
        self.request(http::Method::DELETE, &path, Vec::new())
            .await?;
        Ok(())
    }

    /// Registers a notification topic; the answer carries its ARN.
    pub async fn create_topic(&self, name: &str, webhook: &str) -> Result<Topic> {
        let body = serde_json::to_vec(&CreateTopicRequest {
            name: name.to_string(),
            webhook: webhook.to_string(),
        })?;
        self.request_json(http::Method::POST, "/v1/topics", body)
            .await
    }

    pub async fn list_topics(&self) -> Result<Vec<Topic>> {
        self.get_json("/v1/topics").await
    }

    /// Removes a topic and its undelivered events.
    /// Events given up on after repeated failed deliveries.
    pub async fn failed_events(&self) -> Result<Vec<tessera_types::events::OutboxEvent>> {
        self.get_json("/v1/events/failed").await
    }

    /// Makes failed events (of one topic, or all) deliverable again.
    pub async fn replay_events(&self, topic: Option<String>) -> Result<()> {
        let body = serde_json::to_vec(&tessera_gateway::admin::ReplayRequest { topic })?;
        self.request(http::Method::POST, "/v1/events/replay", body)
            .await?;
        Ok(())
    }

    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let path = format!("/v1/topics/{name}");
        self.request(http::Method::DELETE, &path, Vec::new())
            .await?;
        Ok(())
    }

    /// Registers a remote replication endpoint.
    pub async fn create_remote(&self, req: &CreateRemoteRequest) -> Result<RemoteInfo> {
        let body = serde_json::to_vec(req)?;
        self.request_json(http::Method::POST, "/v1/remotes", body)
            .await
    }

    pub async fn list_remotes(&self) -> Result<Vec<RemoteInfo>> {
        self.get_json("/v1/remotes").await
    }

    pub async fn delete_remote(&self, name: &str) -> Result<()> {
        let path = format!("/v1/remotes/{name}");
        self.request(http::Method::DELETE, &path, Vec::new())
            .await?;
        Ok(())
    }

    /// A bucket's replication backlog and failures.
    pub async fn replication_status(&self, bucket: &str) -> Result<ReplicationReport> {
        self.get_json(&format!("/v1/replication/{bucket}")).await
    }

    /// Queues the bucket's existing objects for replication.
    pub async fn resync_replication(&self, bucket: &str) -> Result<ResyncReport> {
        let path = format!("/v1/replication/{bucket}/resync");
        self.request_json(http::Method::POST, &path, Vec::new())
            .await
    }
}
