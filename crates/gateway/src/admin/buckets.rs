//! `GET /v1/buckets` and `GET /v1/buckets/NAME`: every bucket with its
//! owner, and one bucket's whole configuration (owner, ACL, policy, CORS,
//! website, notification rules), for operators.

use super::{fail, json};
use crate::body::Body;
use crate::Gateway;
use http::{Response, StatusCode};
use serde::{Deserialize, Serialize};
use tessera_types::events::NotificationConfig;
use tessera_types::{BucketRecord, Grantee};

/// A bucket as `GET /v1/buckets` lists it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct BucketSummary {
    pub name: String,
    pub owner: String,
    pub created: i64,
}

/// One ACL grant, readable.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct GrantInfo {
    /// An access key id, `AllUsers` or `AuthenticatedUsers`.
    pub grantee: String,
    /// `READ`, `WRITE`, `READ_ACP`, `WRITE_ACP` or `FULL_CONTROL`.
    pub permission: String,
}

/// A bucket's configuration as `GET /v1/buckets/NAME` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct BucketInfo {
    pub name: String,
    pub owner: String,
    pub created: i64,
    pub region: String,
    /// The ACL's grants (a canned ACL includes the owner's FULL_CONTROL).
    pub acl: Vec<GrantInfo>,
    /// The policy document, as JSON.
    pub policy: Option<serde_json::Value>,
    /// The CORS configuration (XML).
    pub cors: Option<String>,
    /// The website configuration (XML).
    pub website: Option<String>,
    /// The notification rules.
    #[serde(default)]
    pub notification: Option<NotificationConfig>,
}

impl From<BucketRecord> for BucketInfo {
    fn from(b: BucketRecord) -> BucketInfo {
        BucketInfo {
            acl: b
                .acl
                .grants
                .iter()
                .map(|g| GrantInfo {
                    grantee: match &g.grantee {
                        Grantee::User(id) => id.clone(),
                        Grantee::AllUsers => "AllUsers".into(),
                        Grantee::AuthenticatedUsers => "AuthenticatedUsers".into(),
                    },
                    permission: g.permission.as_str().into(),
                })
                .collect(),
            policy: b
                .policy
                .as_deref()
                .map(|p| serde_json::from_str(p).unwrap_or(serde_json::Value::String(p.into()))),
            name: b.name,
            owner: b.owner,
            created: b.created,
            region: b.region,
            cors: b.cors,
            website: b.website,
            notification: b.notification,
        }
    }
}

pub(crate) async fn list(gw: &Gateway) -> Response<Body> {
    match gw.engine.meta().list_buckets().await {
        Ok(buckets) => json(
            StatusCode::OK,
            &buckets
                .into_iter()
                .map(|b| BucketSummary {
                    name: b.name,
                    owner: b.owner,
                    created: b.created,
                })
                .collect::<Vec<_>>(),
        ),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

pub(crate) async fn show(gw: &Gateway, name: &str) -> Response<Body> {
    match gw.engine.meta().get_bucket(name).await {
        Ok(Some(b)) => json(StatusCode::OK, &BucketInfo::from(b)),
        Ok(None) => fail(StatusCode::NOT_FOUND, &format!("no bucket named {name}")),
        Err(e) => fail(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}
