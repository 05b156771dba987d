//! Typed helpers: one method per command and query variant. Application
//! outcomes come back as [`Error::Meta`].

use crate::{Error, MetaClient, Result};
use tessera_types::events::EventName;
use tessera_types::meta::{
    BucketConfig, Command, CommandReply, GcEntry, ListObjectsPage, ListObjectsQuery,
    ListUploadsPage, ListUploadsQuery, Precondition, Query, QueryReply,
};
use tessera_types::{
    now_millis, AccessKey, Acl, BucketRecord, NodeInfo, ObjectRecord, PartRecord, UploadRecord,
};

/// A page of `ListParts`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PartsPage {
    /// Parts in number order.
    pub parts: Vec<PartRecord>,
    /// More parts follow the last one returned.
    pub is_truncated: bool,
}

pub(crate) fn unexpected<T: std::fmt::Debug>(what: &str, reply: T) -> Error {
    Error::Internal(format!("unexpected reply to {what}: {reply:?}"))
}

impl MetaClient {
    async fn command(&self, cmd: Command) -> Result<CommandReply> {
        Ok(self.write(cmd).await??)
    }

    pub(crate) async fn command_done(&self, what: &str, cmd: Command) -> Result<()> {
        match self.command(cmd).await? {
            CommandReply::Done => Ok(()),
            other => Err(unexpected(what, other)),
        }
    }

    async fn command_object(&self, what: &str, cmd: Command) -> Result<Option<ObjectRecord>> {
        match self.command(cmd).await? {
            CommandReply::Object(o) => Ok(o.map(|b| *b)),
            other => Err(unexpected(what, other)),
        }
    }

    pub(crate) async fn query(&self, q: Query) -> Result<QueryReply> {
        Ok(self.read(q).await??)
    }

    /// Creates a bucket (`BucketAlreadyOwnedByYou` / `BucketAlreadyExists`).
    pub async fn create_bucket(&self, bucket: BucketRecord) -> Result<()> {
        self.command_done("CreateBucket", Command::CreateBucket { bucket })
            .await
    }

    /// Sets one configuration sub-resource of a bucket (ACL, policy, CORS,
    /// website).
    pub async fn set_bucket_config(&self, bucket: &str, config: BucketConfig) -> Result<()> {
        self.command_done(
            "SetBucketConfig",
            Command::SetBucketConfig {
                bucket: bucket.into(),
                config,
            },
        )
        .await
    }

    /// Replaces the ACL of `bucket/key` (`NoSuchKey` when absent).
    pub async fn set_object_acl(&self, bucket: &str, key: &str, acl: Acl) -> Result<()> {
        self.command_done(
            "SetObjectAcl",
            Command::SetObjectAcl {
                bucket: bucket.into(),
                key: key.into(),
                acl,
            },
        )
        .await
    }

    /// Deletes an empty bucket, aborting its uploads.
    pub async fn delete_bucket(&self, name: &str) -> Result<()> {
        self.command_done("DeleteBucket", Command::DeleteBucket { name: name.into() })
            .await
    }

    /// Creates or replaces `bucket/key`; returns the replaced version.
    pub async fn put_object(
        &self,
        bucket: &str,
        key: &str,
        object: ObjectRecord,
        pre: Precondition,
    ) -> Result<Option<ObjectRecord>> {
        self.put_object_as(bucket, key, object, pre, EventName::ObjectCreatedPut)
            .await
    }

    /// [`MetaClient::put_object`], notifying `event` (Put, Copy or Post).
    pub async fn put_object_as(
        &self,
        bucket: &str,
        key: &str,
        object: ObjectRecord,
        pre: Precondition,
        event: EventName,
    ) -> Result<Option<ObjectRecord>> {
        let cmd = Command::PutObject {
            bucket: bucket.into(),
            key: key.into(),
            object,
            precondition: pre,
            event,
        };
        self.command_object("PutObject", cmd).await
    }

    /// Removes `bucket/key` if present; returns the removed version.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>> {
        let cmd = Command::DeleteObject {
            bucket: bucket.into(),
            key: key.into(),
            now: now_millis(),
        };
        self.command_object("DeleteObject", cmd).await
    }

    /// Deletes the listed keys of a bucket in one commit (absent keys are
    /// not an error).
    pub async fn delete_objects(&self, bucket: &str, keys: Vec<String>) -> Result<()> {
        let cmd = Command::DeleteObjects {
            bucket: bucket.into(),
            keys,
            now: now_millis(),
        };
        self.command_done("DeleteObjects", cmd).await
    }

    /// Starts a multipart upload.
    pub async fn create_upload(&self, upload: UploadRecord) -> Result<()> {
        self.command_done("CreateUpload", Command::CreateUpload { upload })
            .await
    }

    /// Stores or replaces a part of an upload.
    pub async fn put_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part: PartRecord,
    ) -> Result<()> {
        let cmd = Command::PutPart {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            part,
        };
        self.command_done("PutPart", cmd).await
    }

    /// Completes an upload into `object`; returns the replaced version.
    pub async fn complete_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: Vec<(u32, String)>,
        object: ObjectRecord,
        pre: Precondition,
    ) -> Result<Option<ObjectRecord>> {
        let cmd = Command::CompleteUpload {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            parts,
            object,
            precondition: pre,
        };
        self.command_object("CompleteUpload", cmd).await
    }

    /// Aborts an upload, queueing its parts for GC.
    pub async fn abort_upload(&self, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
        let cmd = Command::AbortUpload {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
        };
        self.command_done("AbortUpload", cmd).await
    }

    /// Adds an access key (`AccessKeyExists`).
    pub async fn create_access_key(&self, key: AccessKey) -> Result<()> {
        self.command_done("CreateAccessKey", Command::CreateAccessKey { key })
            .await
    }

    /// Removes an access key (`NoSuchAccessKey`).
    pub async fn delete_access_key(&self, access_key_id: &str) -> Result<()> {
        let cmd = Command::DeleteAccessKey {
            access_key_id: access_key_id.into(),
        };
        self.command_done("DeleteAccessKey", cmd).await
    }

    /// Adds or updates a storage node in the cluster map.
    pub async fn register_node(&self, node: NodeInfo) -> Result<()> {
        self.command_done("RegisterNode", Command::RegisterNode { node })
            .await
    }

    /// Removes freed GC queue entries.
    pub async fn ack_gc(&self, seqs: Vec<u64>) -> Result<()> {
        self.command_done("AckGc", Command::AckGc { seqs }).await
    }

    pub async fn get_bucket(&self, name: &str) -> Result<Option<BucketRecord>> {
        match self.query(Query::GetBucket { name: name.into() }).await? {
            QueryReply::Bucket(b) => Ok(b),
            other => Err(unexpected("GetBucket", other)),
        }
    }

    /// All buckets, sorted by name.
    pub async fn list_buckets(&self) -> Result<Vec<BucketRecord>> {
        match self.query(Query::ListBuckets).await? {
            QueryReply::Buckets(b) => Ok(b),
            other => Err(unexpected("ListBuckets", other)),
        }
    }

    /// The current version of `bucket/key` (`NoSuchBucket` if the bucket is missing).
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Option<ObjectRecord>> {
        let q = Query::GetObject {
            bucket: bucket.into(),
            key: key.into(),
        };
        match self.query(q).await? {
            QueryReply::Object(o) => Ok(o.map(|b| *b)),
            other => Err(unexpected("GetObject", other)),
        }
    }

    pub async fn list_objects(&self, q: ListObjectsQuery) -> Result<ListObjectsPage> {
        match self.query(Query::ListObjects(q)).await? {
            QueryReply::Objects(p) => Ok(p),
            other => Err(unexpected("ListObjects", other)),
        }
    }

    pub async fn get_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<Option<UploadRecord>> {
        let q = Query::GetUpload {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
        };
        match self.query(q).await? {
            QueryReply::Upload(u) => Ok(u),
            other => Err(unexpected("GetUpload", other)),
        }
    }

    /// Parts numbered above `part_number_marker`, at most `max_parts`.
    pub async fn list_parts(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number_marker: u32,
        max_parts: u32,
    ) -> Result<PartsPage> {
        let q = Query::ListParts {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            part_number_marker,
            max_parts,
        };
        match self.query(q).await? {
            QueryReply::Parts {
                parts,
                is_truncated,
            } => Ok(PartsPage {
                parts,
                is_truncated,
            }),
            other => Err(unexpected("ListParts", other)),
        }
    }

    pub async fn list_uploads(&self, q: ListUploadsQuery) -> Result<ListUploadsPage> {
        match self.query(Query::ListUploads(q)).await? {
            QueryReply::Uploads(p) => Ok(p),
            other => Err(unexpected("ListUploads", other)),
        }
    }

    pub async fn get_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>> {
        let q = Query::GetAccessKey {
            access_key_id: access_key_id.into(),
        };
        match self.query(q).await? {
            QueryReply::AccessKey(k) => Ok(k),
            other => Err(unexpected("GetAccessKey", other)),
        }
    }

    pub async fn list_access_keys(&self) -> Result<Vec<AccessKey>> {
        match self.query(Query::ListAccessKeys).await? {
            QueryReply::AccessKeys(k) => Ok(k),
            other => Err(unexpected("ListAccessKeys", other)),
        }
    }

    /// The cluster map.
    pub async fn list_nodes(&self) -> Result<Vec<NodeInfo>> {
        match self.query(Query::ListNodes).await? {
            QueryReply::Nodes(n) => Ok(n),
            other => Err(unexpected("ListNodes", other)),
        }
    }

    /// The oldest `max` GC queue entries.
    pub async fn list_gc(&self, max: u32) -> Result<Vec<GcEntry>> {
        match self.query(Query::ListGc { max }).await? {
            QueryReply::Gc(g) => Ok(g),
            other => Err(unexpected("ListGc", other)),
        }
    }
}
