//! Test support: starts a real `tessera server` (the same code the binary
//! runs) on ephemeral loopback ports in a temporary directory, and builds
//! `aws-sdk-s3` clients with their default settings against it. Also a raw
//! HTTP client with Tessera's own SigV4 signer for what the SDK won't send.

mod cluster;
pub mod faults;
mod raw;

pub use cluster::{Cluster, ClusterSpec};
pub use faults::FaultNet;
pub use raw::{RawClient, RawResponse};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::Region;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tessera_cli::server::{self, RunningServer};
use tessera_util::Config;

/// Every network wait in a test is bounded by this.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// A running all-in-one server owned by a test.
pub struct TestServer {
    running: Option<RunningServer>,
    /// The data directory (deleted when the server's TempDir is dropped).
    _dir: Option<tempfile::TempDir>,
    pub data_dir: PathBuf,
    pub s3_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    /// The website endpoint.
    pub website_addr: SocketAddr,
    /// The metadata node (gRPC).
    pub meta_addr: SocketAddr,
    pub access_key: String,
    pub secret_key: String,
}

/// Every shard file below `dir` (a storage node's data directory, or a
/// directory of several), sorted: the files inside `shards/<fanout>/`,
/// temporary files excluded.
pub fn shard_paths(dir: &Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .parent()
                .and_then(|d| d.parent())
                .is_some_and(|d| d.ends_with("shards"))
                && !p.to_string_lossy().ends_with(".tmp")
            {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Completes the multipart upload `upload_id` of `bucket/key` with its
/// parts' ETags, numbered from 1.
pub async fn complete_upload(
    c: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    etags: &[String],
) {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let parts = etags
        .iter()
        .enumerate()
        .map(|(i, e)| {
            CompletedPart::builder()
                .part_number(i as i32 + 1)
                .e_tag(e)
                .build()
        })
        .collect();
    c.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("complete multipart upload");
}

/// Writes `bucket/key` as a multipart upload of `parts` (every part but the
/// last at least 5 MiB), with default settings.
pub async fn put_multipart(c: &aws_sdk_s3::Client, bucket: &str, key: &str, parts: &[&[u8]]) {
    let up = c
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("create multipart upload");
    let id = up.upload_id().expect("upload id").to_string();
    let mut etags = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let p = c
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&id)
            .part_number(i as i32 + 1)
            .body(aws_sdk_s3::primitives::ByteStream::from(part.to_vec()))
            .send()
            .await
            .expect("upload part");
        etags.push(p.e_tag().expect("etag").to_string());
    }
    complete_upload(c, bucket, key, &id, &etags).await;
}

/// A replication configuration with one rule: keys under `prefix` go to
/// `arn:aws:s3:::DEST`, deletes too when `deletes`.
pub fn replication_config(
    prefix: &str,
    dest: &str,
    deletes: bool,
) -> aws_sdk_s3::types::ReplicationConfiguration {
    use aws_sdk_s3::types::{
        DeleteMarkerReplication, DeleteMarkerReplicationStatus, Destination,
        ReplicationConfiguration, ReplicationRule, ReplicationRuleFilter, ReplicationRuleStatus,
    };

    let status = if deletes {
        DeleteMarkerReplicationStatus::Enabled
    } else {
        DeleteMarkerReplicationStatus::Disabled
    };
    let rule = ReplicationRule::builder()
        .id("all")
        .priority(1)
        .status(ReplicationRuleStatus::Enabled)
        .filter(ReplicationRuleFilter::builder().prefix(prefix).build())
        .delete_marker_replication(DeleteMarkerReplication::builder().status(status).build())
        .destination(
            Destination::builder()
                .bucket(format!("arn:aws:s3:::{dest}"))
                .build()
                .expect("destination"),
        )
        .build()
        .expect("rule");
    ReplicationConfiguration::builder()
        .role("arn:aws:iam::000000000000:role/replication")
        .rules(rule)
        .build()
        .expect("replication configuration")
}

/// Deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// An `aws-sdk-s3` client of `endpoint` with the SDK's default settings,
/// path-style addressing, and timeouts so that no test can hang.
pub fn sdk_client(endpoint: &str, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "test"))
        .force_path_style(true)
        // Only timeouts differ from the SDK's defaults: no test may hang.
        .timeout_config(
            aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                .connect_timeout(std::time::Duration::from_secs(5))
                .operation_timeout(std::time::Duration::from_secs(120))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// The configuration tests start servers with: free loopback ports, small
/// blocks, a fast GC.
pub fn test_config(data_dir: &Path) -> Config {
    let mut cfg = Config {
        data_dir: Some(data_dir.to_path_buf()),
        ..Config::default()
    };
    let any = "127.0.0.1:0".parse().expect("literal address");
    cfg.gateway.s3_addr = any;
    cfg.gateway.admin_addr = any;
    cfg.gateway.website_addr = any;
    cfg.meta.addr = any;
    cfg.storage.addr = any;
    // Small blocks so that modest test objects span several blocks.
    cfg.engine.block_size = 256 * 1024;
    cfg.gateway.domains = vec!["localhost".into(), "s3.tessera.test".into()];
    cfg.worker.gc_interval_secs = 1;
    cfg
}

impl TestServer {
    /// Starts a server in a new temporary directory.
    pub async fn start() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_path_buf();
        let mut s = Self::start_in(&path).await;
        s._dir = Some(dir);
        s
    }

    /// Starts a server on an existing data directory (for restart tests).
    pub async fn start_in(data_dir: &Path) -> TestServer {
        Self::start_with(test_config(data_dir)).await
    }

    /// Starts a server with a custom configuration.
    pub async fn start_with(cfg: Config) -> TestServer {
        tessera_util::logging::init("warn");
        let data_dir = cfg.data_dir.clone().expect("data dir set");
        let running = tokio::time::timeout(TIMEOUT, server::start(&cfg))
            .await
            .expect("server start timed out")
            .expect("server failed to start");
        TestServer {
            data_dir,
            s3_addr: running.s3_addr,
            admin_addr: running.admin_addr,
            website_addr: running.website_addr,
            meta_addr: running.meta_addr,
            access_key: running.root.access_key_id.clone(),
            secret_key: running.root.secret_key.clone(),
            running: Some(running),
            _dir: None,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.s3_addr)
    }

    pub fn admin_endpoint(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    /// An SDK client signed by the root key, default settings (checksums on).
    pub fn client(&self) -> aws_sdk_s3::Client {
        self.client_as(&self.access_key, &self.secret_key)
    }

    /// An SDK client signed by another key.
    pub fn client_as(&self, access_key: &str, secret_key: &str) -> aws_sdk_s3::Client {
        sdk_client(&self.endpoint(), access_key, secret_key)
    }

    /// A raw HTTP client signing with the root key.
    pub fn raw(&self) -> RawClient {
        RawClient::new(self.s3_addr, &self.access_key, &self.secret_key)
    }

    /// An unsigned HTTP client of the website endpoint.
    pub fn website(&self) -> RawClient {
        RawClient::new(self.website_addr, "", "")
    }

    /// Sets a bucket's configuration straight in the metadata store, as
    /// the S3 API would once it accepts it (e.g. a bucket policy, for
    /// tests of what a policy opens to anonymous clients).
    pub async fn set_bucket_config(&self, bucket: &str, config: tessera_types::meta::BucketConfig) {
        let meta = tessera_cli::roles::meta_client(
            vec![self.meta_addr.to_string()],
            &tessera_proto::Transport::tcp(),
        )
        .expect("meta client");
        tokio::time::timeout(TIMEOUT, meta.set_bucket_config(bucket, config))
            .await
            .expect("set_bucket_config timed out")
            .expect("set_bucket_config");
    }

    /// How many shard files the storage nodes hold.
    pub fn shard_files(&self) -> usize {
        shard_paths(&self.data_dir.join("storage")).len()
    }

    /// Stops the server, keeping its data directory.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(r) = self.running.take() {
            tokio::time::timeout(TIMEOUT, r.shutdown())
                .await
                .expect("shutdown timed out")
                .expect("shutdown failed");
        }
        self._dir.take()
    }
}
