//! Replicas on a remote S3 endpoint (`tessera admin remote add`), written
//! with the AWS SDK: a single PUT for an object written in one piece, a
//! multipart upload with the source's part sizes for a multipart object
//! (so that the replica's ETag is the source's). Every write carries
//! `x-amz-replication-status: REPLICA`.

use crate::outbox::Failure;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, StorageClass as SdkClass};
use bytes::Bytes;
use futures::StreamExt;
use http_body::Frame;
use std::collections::HashMap;
use std::ops::Range;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tessera_engine::{BodyError, Engine};
use tessera_types::replication::Remote;
use tessera_types::{ObjectRecord, StorageClass};
use tokio::sync::mpsc;

/// Attempts before a refusal (a 4xx answer, a missing local bucket) is
/// given up on (kept as FAILED until a resync);
/// connection failures, timeouts and 5xx answers are retried for ever.
pub const MAX_ATTEMPTS: u32 = 5;

/// A failure retried for as long as it takes (the destination is
/// unreachable or overloaded).
pub(crate) fn transient(error: String) -> Failure {
    Failure {
        error,
        max_attempts: u32::MAX,
    }
}

/// A refusal, kept as failed after [`MAX_ATTEMPTS`].
pub(crate) fn refused(error: String) -> Failure {
    Failure {
        error,
        max_attempts: MAX_ATTEMPTS,
    }
}
/// Connecting to the remote.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A request without a body, and the floor of one with a body.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The slowest transfer rate tolerated before a body upload is abandoned.
const MIN_RATE: u64 = 1024 * 1024;

/// Sets the object's content headers, metadata and storage class on a
/// PutObject or CreateMultipartUpload request (two builder types with the
/// same setters).
macro_rules! with_object_headers {
    ($builder:expr, $obj:expr, $class:expr) => {{
        let c = &$obj.content;
        $builder
            .set_content_type(c.content_type.clone())
            .set_content_encoding(c.content_encoding.clone())
            .set_content_disposition(c.content_disposition.clone())
            .set_content_language(c.content_language.clone())
            .set_cache_control(c.cache_control.clone())
            .set_expires(expires($obj))
            .set_metadata(metadata($obj))
            .set_storage_class(sdk_class($class))
    }};
}

/// A client of one remote.
pub struct RemoteClient {
    name: String,
    bucket: String,
    client: aws_sdk_s3::Client,
    /// The remote as registered, to notice a change.
    remote: Remote,
}

impl RemoteClient {
    pub fn new(remote: &Remote) -> RemoteClient {
        let creds = aws_credential_types::Credentials::new(
            remote.access_key.clone(),
            remote.secret_key.clone(),
            None,
            None,
            "tessera-remote",
        );
        let timeouts = aws_smithy_types::timeout::TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build();
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(remote.region.clone()))
            .endpoint_url(remote.endpoint.clone())
            .credentials_provider(creds)
            .force_path_style(true)
            .timeout_config(timeouts)
            .build();
        RemoteClient {
            name: remote.name.clone(),
            bucket: remote.bucket.clone(),
            client: aws_sdk_s3::Client::from_conf(config),
            remote: remote.clone(),
        }
    }

    /// The replica's ETag (unquoted) and size, if there is one.
    pub async fn head(&self, key: &str) -> Result<Option<(String, u64)>, Failure> {
        let call = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send();
        match timed(CALL_TIMEOUT, call).await {
            Ok(Ok(h)) => {
                let etag = h.e_tag().unwrap_or_default().trim_matches('"').to_string();
                Ok(Some((etag, h.content_length().unwrap_or(0).max(0) as u64)))
            }
            Ok(Err(e)) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Ok(Err(e)) => Err(self.failure("HeadObject", e)),
            Err(f) => Err(f),
        }
    }

    pub async fn delete(&self, key: &str) -> Result<(), Failure> {
        let call = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send();
        match timed(CALL_TIMEOUT, call).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(self.failure("DeleteObject", e)),
        }
    }

    /// Copies `obj` (the source's current version) to `key`.
    pub async fn put(
        &self,
        engine: &Arc<Engine>,
        key: &str,
        obj: &ObjectRecord,
        class: StorageClass,
    ) -> Result<(), Failure> {
        if obj.parts.is_empty() {
            self.put_whole(engine, key, obj, class).await
        } else {
            self.put_parts(engine, key, obj, class).await
        }
    }

    async fn put_whole(
        &self,
        engine: &Arc<Engine>,
        key: &str,
        obj: &ObjectRecord,
        class: StorageClass,
    ) -> Result<(), Failure> {
        let call = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(obj.size as i64)
            .body(body(engine, obj, 0..obj.size));
        let call = with_object_headers!(call, obj, class)
            .customize()
            .mutate_request(mark_replica)
            .send();
        match timed(transfer_timeout(obj.size), call).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(self.failure("PutObject", e)),
        }
    }

    async fn put_parts(
        &self,
        engine: &Arc<Engine>,
        key: &str,
        obj: &ObjectRecord,
        class: StorageClass,
    ) -> Result<(), Failure> {
        let create = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key);
        let create = with_object_headers!(create, obj, class)
            .customize()
            .mutate_request(mark_replica)
            .send();
        let upload = match timed(CALL_TIMEOUT, create).await? {
            Ok(u) => u,
            Err(e) => return Err(self.failure("CreateMultipartUpload", e)),
        };
        let upload_id = upload.upload_id().unwrap_or_default().to_string();
        let outcome = self.upload_parts(engine, key, obj, &upload_id).await;
        if outcome.is_err() {
            // Best effort: an upload left behind holds space on the remote
            // until its own lifecycle rules clean it up.
            let abort = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send();
            let _ = tokio::time::timeout(CALL_TIMEOUT, abort).await;
        }
        outcome
    }

    async fn upload_parts(
        &self,
        engine: &Arc<Engine>,
        key: &str,
        obj: &ObjectRecord,
        upload_id: &str,
    ) -> Result<(), Failure> {
        let mut offset = 0;
        let mut completed = Vec::with_capacity(obj.parts.len());
        for part in &obj.parts {
            let range = offset..offset + part.size;
            offset += part.size;
            let call = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(part.number as i32)
                .content_length(part.size as i64)
                .body(body(engine, obj, range))
                .send();
            let done = match timed(transfer_timeout(part.size), call).await? {
                Ok(d) => d,
                Err(e) => return Err(self.failure("UploadPart", e)),
            };
            completed.push(
                CompletedPart::builder()
                    .part_number(part.number as i32)
                    .set_e_tag(done.e_tag().map(str::to_string))
                    .build(),
            );
        }
        let parts = CompletedMultipartUpload::builder()
            .set_parts(Some(completed))
            .build();
        let call = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(parts)
            .send();
        match timed(CALL_TIMEOUT, call).await? {
            Ok(_) => Ok(()),
            Err(e) => Err(self.failure("CompleteMultipartUpload", e)),
        }
    }

    /// A failure of `op`: retried for ever unless the remote refused it
    /// (4xx other than 408 and 429).
    fn failure<E>(&self, op: &str, e: SdkError<E, HttpResponse>) -> Failure
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let is_refusal = match &e {
            SdkError::ServiceError(_) => {
                let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
                (400..500).contains(&status) && status != 408 && status != 429
            }
            SdkError::ConstructionFailure(_) => true,
            _ => false,
        };
        let mut error = format!("{op} on remote {}: {}", self.name, DisplayErrorContext(&e));
        error.truncate(400);
        if is_refusal {
            refused(error)
        } else {
            transient(error)
        }
    }
}

/// Clients by remote name, rebuilt when a remote is registered anew.
#[derive(Default)]
pub struct RemoteClients {
    clients: std::sync::Mutex<HashMap<String, Arc<RemoteClient>>>,
}

impl RemoteClients {
    /// A client for each remote, by destination bucket.
    pub fn for_remotes(&self, remotes: &[Remote]) -> HashMap<String, Arc<RemoteClient>> {
        let Ok(mut cache) = self.clients.lock() else {
            return HashMap::new();
        };
        cache.retain(|name, c| remotes.iter().any(|r| &r.name == name && r == &c.remote));
        remotes
            .iter()
            .map(|r| {
                let client = cache
                    .entry(r.name.clone())
                    .or_insert_with(|| Arc::new(RemoteClient::new(r)));
                (r.bucket.clone(), Arc::clone(client))
            })
            .collect()
    }
}

fn mark_replica(req: &mut aws_sdk_s3::config::http::HttpRequest) {
    req.headers_mut()
        .insert("x-amz-replication-status", "REPLICA");
}

fn sdk_class(class: StorageClass) -> Option<SdkClass> {
    (class != StorageClass::Standard).then(|| SdkClass::from(class.as_str()))
}

fn expires(obj: &ObjectRecord) -> Option<DateTime> {
    let text = obj.content.expires.as_deref()?;
    DateTime::from_str(text, DateTimeFormat::HttpDate).ok()
}

fn metadata(obj: &ObjectRecord) -> Option<HashMap<String, String>> {
    (!obj.user_meta.is_empty()).then(|| obj.user_meta.iter().cloned().collect())
}

/// How long a body of `size` bytes may take.
fn transfer_timeout(size: u64) -> Duration {
    CALL_TIMEOUT + Duration::from_secs(size / MIN_RATE)
}

async fn timed<T>(
    limit: Duration,
    call: impl std::future::Future<Output = T>,
) -> Result<T, Failure> {
    tokio::time::timeout(limit, call)
        .await
        .map_err(|_| transient(format!("no answer from the remote within {limit:?}")))
}

/// `range` of `obj`'s bytes as a request body, read from the cluster as the
/// SDK sends it.
fn body(engine: &Arc<Engine>, obj: &ObjectRecord, range: Range<u64>) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<Bytes, BodyError>>(4);
    let mut data = engine.read(&obj.segments, range);
    tokio::spawn(async move {
        while let Some(item) = data.next().await {
            let failed = item.is_err();
            let item = item.map_err(|e| Box::new(e) as BodyError);
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
    });
    ByteStream::from_body_1_x(ChannelBody { rx })
}

/// A request body fed through a channel (the SDK wants a `Sync` body; the
/// cluster's read stream is not).
struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, BodyError>>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(Frame::data)))
    }
}
