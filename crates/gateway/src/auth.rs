//! Who is asking: SigV4 verification against the root credentials and the
//! access keys stored in meta (cached briefly).

use crate::context::Principal;
use crate::Gateway;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tessera_s3_protocol::auth::{self, PayloadMode, RequestAuth};
use tessera_s3_protocol::{S3Error, S3ErrorCode};

/// The root access key: configured, or generated on first start.
#[derive(Clone, Debug)]
pub struct RootCredentials {
    pub access_key_id: String,
    pub secret_key: String,
}

/// How long a looked-up key is trusted before asking meta again (a deleted
/// key stops working within this time).
const KEY_TTL: Duration = Duration::from_secs(5);

#[derive(Default)]
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

impl KeyCache {
    fn get(&self, id: &str) -> Option<Option<String>> {
        let map = self.entries.lock().ok()?;
        map.get(id)
            .filter(|(_, at)| at.elapsed() < KEY_TTL)
            .map(|(secret, _)| secret.clone())
    }
    fn remove(&self, id: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(id);
        }
    }
    fn put(&self, id: &str, secret: Option<String>) {
        if let Ok(mut map) = self.entries.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(id.to_string(), (secret, Instant::now()));
        }
    }
}

/// The verified identity of a request and how its body is signed.
pub(crate) struct Authenticated {
    pub principal: Option<Principal>,
    pub payload: PayloadMode,
}

impl Authenticated {
    /// An unsigned request.
    pub(crate) fn anonymous() -> Authenticated {
        Authenticated {
            principal: None,
            payload: PayloadMode::Unsigned,
        }
    }
}

impl Gateway {
    async fn secret_for(&self, access_key_id: &str) -> Result<Option<String>, S3Error> {
        if access_key_id == self.root.access_key_id {
            return Ok(Some(self.root.secret_key.clone()));
        }
        if let Some(s) = self.keys.get(access_key_id) {
            return Ok(s);
        }
        let key = self
            .engine
            .meta()
            .get_access_key(access_key_id)
            .await
            .map_err(|e| crate::response::engine_error(e.into()))?;
        let secret = key.map(|k| k.secret_key);
        self.keys.put(access_key_id, secret.clone());
        Ok(secret)
    }

    /// Whether `access_key_id` names a principal (the root key or a stored
    /// access key).
    pub(crate) async fn principal_exists(&self, access_key_id: &str) -> Result<bool, S3Error> {
        Ok(self.secret_for(access_key_id).await?.is_some())
    }

    /// The name shown as a principal's `DisplayName`: its key's name (`root`
    /// for the root key), or the id itself when it has none.
    pub(crate) async fn display_name(&self, access_key_id: &str) -> String {
        if access_key_id == self.root.access_key_id {
            return "root".to_string();
        }
        match self.engine.meta().get_access_key(access_key_id).await {
            Ok(Some(k)) if !k.name.is_empty() => k.name,
            _ => access_key_id.to_string(),
        }
    }

    /// The secret of an existing key, or InvalidAccessKeyId.
    async fn known_secret(&self, access_key_id: &str) -> Result<String, S3Error> {
        self.secret_for(access_key_id)
            .await?
            .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidAccessKeyId))
    }

    /// Verifies the request's signature, if it has one. `bucket` is the
    /// routed bucket (SigV2 signs it even when the URL carries it in the host).
    pub(crate) async fn authenticate(
        &self,
        parts: &http::request::Parts,
        bucket: Option<&str>,
    ) -> Result<Authenticated, S3Error> {
        match auth::parse_auth(parts)? {
            RequestAuth::Anonymous => Ok(Authenticated::anonymous()),
            RequestAuth::V4(v4) => {
                let secret = self.known_secret(&v4.access_key_id).await?;
                let verified =
                    auth::verify_v4(parts, &v4, &secret, time::OffsetDateTime::now_utc())?;
                Ok(self.authenticated(verified))
            }
            RequestAuth::V2(v2) => {
                let secret = self.known_secret(&v2.access_key_id).await?;
                let verified =
                    auth::verify_v2(parts, &v2, &secret, bucket, time::OffsetDateTime::now_utc())?;
                Ok(self.authenticated(verified))
            }
        }
    }

    fn authenticated(&self, verified: auth::Verified) -> Authenticated {
        Authenticated {
            principal: Some(Principal {
                is_root: verified.access_key_id == self.root.access_key_id,
                access_key_id: verified.access_key_id,
            }),
            payload: verified.payload,
        }
    }

    /// Forgets a cached key (after it is created or deleted through the
    /// admin API), so that this gateway sees the change at once.
    pub(crate) fn forget_key(&self, access_key_id: &str) {
        self.keys.remove(access_key_id);
    }
}
