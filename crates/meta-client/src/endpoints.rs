//! The set of known meta nodes and which one is believed to lead.

use crate::{Error, Result};
use std::sync::Mutex;
use std::time::Duration;
use tessera_proto::meta::v1::meta_client::MetaClient as GrpcClient;
use tonic::transport::{Channel, Endpoint};

/// A gRPC client of one meta node.
pub(crate) type Grpc = GrpcClient<Channel>;

struct Target {
    uri: String,
    /// Created on first use (creating a channel needs a Tokio runtime).
    client: Option<Grpc>,
}

struct State {
    targets: Vec<Target>,
    current: usize,
}

/// Known endpoints, the current (presumed leader) one, and their channels.
pub(crate) struct Endpoints {
    state: Mutex<State>,
    connect_timeout: Duration,
}

/// `host:port` -> `http://host:port`, validated.
pub(crate) fn normalize(addr: &str) -> Result<String> {
    let addr = addr.trim();
    let uri = if addr.starts_with("http://") || addr.starts_with("https://") {
        addr.to_string()
    } else {
        format!("http://{addr}")
    };
    Endpoint::from_shared(uri.clone())
        .map_err(|e| Error::InvalidEndpoint(format!("{addr}: {e}")))?;
    Ok(uri)
}

impl Endpoints {
    pub(crate) fn new(addrs: &[String], connect_timeout: Duration) -> Result<Self> {
        if addrs.is_empty() {
            return Err(Error::InvalidEndpoint("no meta endpoints given".into()));
        }
        let mut targets: Vec<Target> = Vec::with_capacity(addrs.len());
        for a in addrs {
            let uri = normalize(a)?;
            if !targets.iter().any(|t| t.uri == uri) {
                targets.push(Target { uri, client: None });
            }
        }
        Ok(Endpoints {
            state: Mutex::new(State {
                targets,
                current: 0,
            }),
            connect_timeout,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state invalid.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current endpoint's index, URI and client.
    pub(crate) fn current(&self) -> Result<(usize, String, Grpc)> {
        let mut st = self.lock();
        let idx = st.current;
        let connect_timeout = self.connect_timeout;
        let target = st
            .targets
            .get_mut(idx)
            .ok_or_else(|| Error::Internal("endpoint index out of range".into()))?;
        if target.client.is_none() {
            let endpoint = Endpoint::from_shared(target.uri.clone())
                .map_err(|e| Error::InvalidEndpoint(e.to_string()))?
                .connect_timeout(connect_timeout)
                .tcp_nodelay(true);
            target.client = Some(
                GrpcClient::new(endpoint.connect_lazy())
                    .max_decoding_message_size(tessera_proto::MAX_MESSAGE_BYTES)
                    .max_encoding_message_size(tessera_proto::MAX_MESSAGE_BYTES),
            );
        }
        let client = target
            .client
            .clone()
            .ok_or_else(|| Error::Internal("endpoint has no client".into()))?;
        Ok((idx, target.uri.clone(), client))
    }

    /// Moves on from endpoint `failed` (if it is still the current one).
    pub(crate) fn advance(&self, failed: usize) {
        let mut st = self.lock();
        if st.current == failed {
            st.current = (failed + 1) % st.targets.len();
        }
    }

    /// Makes the hinted leader current, adding it if unknown. Returns whether
    /// the current endpoint changed.
    pub(crate) fn follow_hint(&self, hint: &str) -> bool {
        let Ok(uri) = normalize(hint) else {
            tracing::warn!(%hint, "ignoring invalid leader hint");
            return false;
        };
        let mut st = self.lock();
        let idx = match st.targets.iter().position(|t| t.uri == uri) {
            Some(i) => i,
            None => {
                st.targets.push(Target { uri, client: None });
                st.targets.len() - 1
            }
        };
        let changed = st.current != idx;
        st.current = idx;
        changed
    }

    /// All endpoint URIs, current first.
    #[cfg(test)]
    pub(crate) fn uris(&self) -> Vec<String> {
        let st = self.lock();
        let mut out: Vec<String> = st.targets.iter().map(|t| t.uri.clone()).collect();
        out.rotate_left(st.current);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_follows_hints() {
        let eps = Endpoints::new(
            &["127.0.0.1:1".into(), "http://127.0.0.1:2".into()],
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(eps.uris(), vec!["http://127.0.0.1:1", "http://127.0.0.1:2"]);
        eps.advance(0);
        assert_eq!(eps.uris()[0], "http://127.0.0.1:2");
        // A stale failure report does not move the cursor again.
        eps.advance(0);
        assert_eq!(eps.uris()[0], "http://127.0.0.1:2");
        assert!(eps.follow_hint("127.0.0.1:3"));
        assert_eq!(eps.uris()[0], "http://127.0.0.1:3");
        assert!(!eps.follow_hint("http://127.0.0.1:3"));
        assert_eq!(eps.uris().len(), 3);
    }

    #[test]
    fn rejects_empty_and_invalid() {
        assert!(Endpoints::new(&[], Duration::from_secs(1)).is_err());
        assert!(normalize("not a uri\n").is_err());
    }
}
