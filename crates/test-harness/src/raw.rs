//! A raw HTTP/1.1 client for requests the SDK will not send: unsigned,
//! tampered, presigned, aws-chunked with signed chunks, and so on.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use tessera_s3_protocol::auth::client::{sign_request, SigningParams};

pub struct RawClient {
    pub addr: SocketAddr,
    pub access_key: String,
    pub secret_key: String,
    http: Client<HttpConnector, Full<Bytes>>,
}

#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The `<Code>` of an S3 error body.
    pub fn error_code(&self) -> Option<String> {
        let t = self.text();
        let start = t.find("<Code>")? + 6;
        let end = t[start..].find("</Code>")? + start;
        Some(t[start..end].to_string())
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl RawClient {
    pub fn new(addr: SocketAddr, access_key: &str, secret_key: &str) -> RawClient {
        RawClient {
            addr,
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            http: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    pub fn params(&self) -> SigningParams<'_> {
        SigningParams {
            access_key: &self.access_key,
            secret_key: &self.secret_key,
            region: "us-east-1",
            service: "s3",
            now: time::OffsetDateTime::now_utc(),
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    /// Sends a request as is (no signature added).
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> RawResponse {
        let mut map = http::HeaderMap::new();
        map.insert("host", self.addr.to_string().parse().expect("host"));
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                v.parse().expect("header value"),
            );
        }
        self.send_map(method, path_and_query, map, body.into())
            .await
    }

    /// Signs (payload hash of `body`, or `payload_hash` if given) and sends.
    pub async fn signed(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
        payload_hash: Option<&str>,
    ) -> RawResponse {
        let body: Bytes = body.into();
        let mut map = http::HeaderMap::new();
        map.insert("host", self.addr.to_string().parse().expect("host"));
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                v.parse().expect("header value"),
            );
        }
        let hash = payload_hash
            .map(str::to_string)
            .unwrap_or_else(|| hex::encode(Sha256::digest(&body)));
        let uri: http::Uri = self.url(path_and_query).parse().expect("uri");
        let m: http::Method = method.parse().expect("method");
        sign_request(&m, &uri, &mut map, &hash, &self.params()).expect("signing");
        self.send_map(method, path_and_query, map, body).await
    }

    pub async fn send_map(
        &self,
        method: &str,
        path_and_query: &str,
        headers: http::HeaderMap,
        body: Bytes,
    ) -> RawResponse {
        let mut req = http::Request::builder()
            .method(method)
            .uri(self.url(path_and_query))
            .body(Full::new(body))
            .expect("request");
        *req.headers_mut() = headers;
        let resp = tokio::time::timeout(crate::TIMEOUT, self.http.request(req))
            .await
            .expect("request timed out")
            .expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = tokio::time::timeout(crate::TIMEOUT, resp.into_body().collect())
            .await
            .expect("body timed out")
            .expect("body failed")
            .to_bytes();
        RawResponse {
            status,
            headers,
            body,
        }
    }
}
