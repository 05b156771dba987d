//! `POST /v1/topics`, `GET /v1/topics`, `DELETE /v1/topics/NAME`: the
//! notification topics (webhooks) bucket notification rules name by ARN.

use super::{fail, json, read_json};
use crate::body::{self, Body};
use crate::Gateway;
use http::{Response, StatusCode};
use hyper::body::Incoming;
use serde::{Deserialize, Serialize};
use tessera_engine::MetaClientError;
use tessera_types::events::{topic_arn, valid_topic_name, OutboxKind, Topic};
use tessera_types::meta::MetaError;
use tessera_types::now_millis;

/// `POST /v1/topics` body.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct CreateTopicRequest {
    /// 1 to 256 of `[A-Za-z0-9_-]`.
    pub name: String,
    /// The `http://` or `https://` URL events are POSTed to.
    pub webhook: String,
}

/// Whether `url` is an absolute `http://` or `https://` URL with a host.
pub(crate) fn valid_url(url: &str) -> bool {
    match url.parse::<http::Uri>() {
        Ok(uri) => {
            matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.host().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

pub(crate) async fn create(gw: &Gateway, incoming: Incoming) -> Response<Body> {
    let req: CreateTopicRequest = match read_json(incoming).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    if !valid_topic_name(&req.name) {
        return fail(
            StatusCode::BAD_REQUEST,
            "a topic name is 1 to 256 letters, digits, '-' and '_'",
        );
    }
    if !valid_url(&req.webhook) {
        return fail(
            StatusCode::BAD_REQUEST,
            "the webhook must be an http:// or https:// URL",
        );
    }
    let topic = Topic {
        arn: topic_arn(&gw.region, &req.name),
        name: req.name,
        webhook: req.webhook,
        created: now_millis(),
    };
    match gw.engine.meta().create_topic(topic.clone()).await {
        Ok(()) => {
            tracing::info!(topic = %topic.name, webhook = %topic.webhook, "topic created");
            json(StatusCode::CREATED, &topic)
        }
        Err(MetaClientError::Meta(MetaError::TopicExists)) => fail(
            StatusCode::CONFLICT,
            &format!("a topic named {} already exists", topic.name),
        ),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

pub(crate) async fn list(gw: &Gateway) -> Response<Body> {
    match gw.engine.meta().list_topics().await {
        Ok(topics) => json(StatusCode::OK, &topics),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

pub(crate) async fn delete(gw: &Gateway, name: &str) -> Response<Body> {
    match gw.engine.meta().delete_topic(name).await {
        Ok(()) => {
            tracing::info!(topic = %name, "topic deleted");
            Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(body::empty())
                .unwrap_or_else(|_| fail(StatusCode::NO_CONTENT, ""))
        }
        Err(MetaClientError::Meta(MetaError::NoSuchTopic(_))) => {
            fail(StatusCode::NOT_FOUND, &format!("no topic named {name}"))
        }
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// `GET /v1/events/failed`: events given up on after repeated failed
/// deliveries, oldest first (at most 1,000).
pub(crate) async fn failed_events(gw: &Gateway) -> Response<Body> {
    match gw
        .engine
        .meta()
        .list_events(None, 1000, true, Some(OutboxKind::Notification), None)
        .await
    {
        Ok(events) => json(StatusCode::OK, &events),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

/// `POST /v1/events/replay` body: replay one topic's failed events, or all.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub struct ReplayRequest {
    #[serde(default)]
    pub topic: Option<String>,
}

/// `POST /v1/events/replay`: failed events become deliverable again.
pub(crate) async fn replay(gw: &Gateway, incoming: Incoming) -> Response<Body> {
    let req: ReplayRequest = match read_json(incoming).await {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match gw.engine.meta().replay_events(req.topic.clone()).await {
        Ok(()) => {
            tracing::info!(topic = ?req.topic, "failed events replayed");
            json(StatusCode::OK, &serde_json::json!({"replayed": true}))
        }
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_url;

    #[test]
    fn webhooks_are_http_urls() {
        assert!(valid_url("http://127.0.0.1:8080/hook"));
        assert!(valid_url("https://events.example.com/s3?x=1"));
        assert!(!valid_url("ftp://example.com/"));
        assert!(!valid_url("example.com/hook"));
        assert!(!valid_url("http://"));
        assert!(!valid_url(""));
    }
}
