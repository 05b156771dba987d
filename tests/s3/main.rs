//! Integration tests: the real `tessera server` in-process, driven by
//! `aws-sdk-s3` with its default configuration (checksums and aws-chunked
//! trailers on) and by a raw signer for what the SDK won't send.

#![allow(clippy::unwrap_used)]

mod acl;
mod admin;
mod auth;
mod bench;
mod browser;
mod buckets;
mod checksums;
mod copy;
mod cors;
mod cors_requests;
mod delete;
mod errors;
mod gc;
mod get;
mod list;
mod multipart;
mod nodes;
mod notification;
mod notification_delivery;
mod objects;
mod orphans;
mod policy;
mod repair;
mod replication;
mod restart;
mod scrub;
mod versions;
mod website;
mod website_redirects;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use tessera_test_harness::TestServer;

/// A server and a client with a fresh bucket.
pub async fn setup(bucket: &str) -> (TestServer, Client) {
    let server = TestServer::start().await;
    let client = server.client();
    client
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    (server, client)
}

pub async fn put(client: &Client, bucket: &str, key: &str, body: impl Into<Vec<u8>>) -> String {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.into()))
        .send()
        .await
        .expect("put object")
        .e_tag
        .unwrap_or_default()
}

pub async fn get(client: &Client, bucket: &str, key: &str) -> Vec<u8> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get object")
        .body
        .collect()
        .await
        .expect("read body")
        .into_bytes()
        .to_vec()
}

pub use tessera_test_harness::data;

pub fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}

/// The S3 error code of an SDK error.
pub fn code<E, R>(err: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .map(str::to_string)
        .unwrap_or_else(|| format!("not a service error: {err:?}"))
}

/// The HTTP status of an SDK error.
pub fn status<E>(
    err: &aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> u16 {
    err.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)
}
