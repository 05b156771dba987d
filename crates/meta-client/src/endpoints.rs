//! The set of known meta nodes and which one is believed to lead.

use crate::{Error, Result};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_proto::meta::v1::meta_client::MetaClient as GrpcClient;
use tessera_proto::meta::v1::meta_server::Meta;
use tessera_proto::meta::v1::{
    AddVoterRequest, ReadReply, ReadRequest, RemoveNodeRequest, StatusReply, StatusRequest,
    WriteReply, WriteRequest,
};
use tessera_proto::Transport;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

/// A client of one meta node: over gRPC, or calling its service directly
/// when the node runs in this process (see `Transport::with_local_meta`).
#[derive(Clone)]
pub(crate) enum Link {
    Remote(GrpcClient<Channel>),
    Local(Arc<dyn Meta>),
}

/// Defines `Link::$method`, calling the node's RPC of that name over either
/// link.
macro_rules! rpcs {
    ($($method:ident($req:ty) -> $reply:ty;)*) => {
        impl Link {
            $(pub(crate) async fn $method(&mut self, req: $req) -> Result<Response<$reply>, Status> {
                match self {
                    Link::Remote(c) => c.$method(req).await,
                    Link::Local(s) => s.$method(Request::new(req)).await,
                }
            })*
        }
    };
}

rpcs! {
    write(WriteRequest) -> WriteReply;
    read(ReadRequest) -> ReadReply;
    status(StatusRequest) -> StatusReply;
    add_voter(AddVoterRequest) -> StatusReply;
    remove_node(RemoveNodeRequest) -> StatusReply;
}

/// How long an endpoint that failed to answer is passed over: neither
/// chosen when moving on, nor followed when a (possibly stale) leader hint
/// names it, unless every endpoint failed.
const SUSPECT_FOR: Duration = Duration::from_secs(5);

struct Target {
    uri: String,
    /// Created on first use (creating a channel needs a Tokio runtime).
    client: Option<Link>,
    /// When it last failed to answer.
    failed_at: Option<Instant>,
}

impl Target {
    fn new(uri: String) -> Target {
        Target {
            uri,
            client: None,
            failed_at: None,
        }
    }

    fn suspect(&self, now: Instant) -> bool {
        self.failed_at
            .is_some_and(|t| now.saturating_duration_since(t) < SUSPECT_FOR)
    }
}

struct State {
    targets: Vec<Target>,
    current: usize,
}

/// Known endpoints, the current (presumed leader) one, and their channels.
pub(crate) struct Endpoints {
    state: Mutex<State>,
    connect_timeout: Duration,
    transport: Transport,
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
    pub(crate) fn new(
        addrs: &[String],
        connect_timeout: Duration,
        transport: Transport,
    ) -> Result<Self> {
        if addrs.is_empty() {
            return Err(Error::InvalidEndpoint("no meta endpoints given".into()));
        }
        let mut targets: Vec<Target> = Vec::with_capacity(addrs.len());
        for a in addrs {
            let uri = normalize(a)?;
            if !targets.iter().any(|t| t.uri == uri) {
                targets.push(Target::new(uri));
            }
        }
        Ok(Endpoints {
            state: Mutex::new(State {
                targets,
                current: 0,
            }),
            connect_timeout,
            transport,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state invalid.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current endpoint's index, URI and client.
    pub(crate) fn current(&self) -> Result<(usize, String, Link)> {
        let mut st = self.lock();
        let idx = st.current;
        let connect_timeout = self.connect_timeout;
        let target = st
            .targets
            .get_mut(idx)
            .ok_or_else(|| Error::Internal("endpoint index out of range".into()))?;
        if target.client.is_none() {
            target.client = Some(match self.transport.local_meta(&target.uri) {
                Some(service) => Link::Local(service),
                None => {
                    let endpoint = Endpoint::from_shared(target.uri.clone())
                        .map_err(|e| Error::InvalidEndpoint(e.to_string()))?
                        .connect_timeout(connect_timeout)
                        .tcp_nodelay(true);
                    Link::Remote(
                        GrpcClient::new(self.transport.channel(&endpoint))
                            .max_decoding_message_size(tessera_proto::MAX_MESSAGE_BYTES)
                            .max_encoding_message_size(tessera_proto::MAX_MESSAGE_BYTES),
                    )
                }
            });
        }
        let client = target
            .client
            .clone()
            .ok_or_else(|| Error::Internal("endpoint has no client".into()))?;
        Ok((idx, target.uri.clone(), client))
    }

    /// Records that endpoint `idx` failed to answer.
    pub(crate) fn mark_failed(&self, idx: usize) {
        if let Some(t) = self.lock().targets.get_mut(idx) {
            t.failed_at = Some(Instant::now());
        }
    }

    /// Records that endpoint `idx` answered.
    pub(crate) fn mark_ok(&self, idx: usize) {
        if let Some(t) = self.lock().targets.get_mut(idx) {
            t.failed_at = None;
        }
    }

    /// Moves on from endpoint `from` (if it is still the current one) to the
    /// next one that has not failed recently (or simply the next one, when
    /// all have).
    pub(crate) fn advance(&self, from: usize) {
        let mut st = self.lock();
        if st.current != from {
            return;
        }
        let n = st.targets.len();
        let now = Instant::now();
        let next = (1..=n)
            .map(|step| (from + step) % n)
            .find(|&i| !st.targets[i].suspect(now))
            .unwrap_or((from + 1) % n);
        st.current = next;
    }

    /// Makes the hinted leader current, adding it if unknown. Returns false
    /// (and changes nothing) when the hint is invalid or names an endpoint
    /// that failed to answer moments ago: a follower's hint can be stale
    /// while an election is under way.
    pub(crate) fn follow_hint(&self, hint: &str) -> bool {
        let Ok(uri) = normalize(hint) else {
            tracing::warn!(%hint, "ignoring invalid leader hint");
            return false;
        };
        let mut st = self.lock();
        let idx = match st.targets.iter().position(|t| t.uri == uri) {
            Some(i) => i,
            None => {
                st.targets.push(Target::new(uri));
                st.targets.len() - 1
            }
        };
        if st.targets[idx].suspect(Instant::now()) {
            return false;
        }
        st.current = idx;
        true
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
            Transport::tcp(),
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
        assert!(eps.follow_hint("http://127.0.0.1:3"));
        assert_eq!(eps.uris().len(), 3);
    }

    #[test]
    fn passes_over_endpoints_that_failed() {
        let eps = Endpoints::new(
            &[
                "127.0.0.1:1".into(),
                "127.0.0.1:2".into(),
                "127.0.0.1:3".into(),
            ],
            Duration::from_secs(1),
            Transport::tcp(),
        )
        .unwrap();
        // :2 failed; moving on from :1 skips it.
        eps.mark_failed(1);
        eps.advance(0);
        assert_eq!(eps.uris()[0], "http://127.0.0.1:3");
        // A hint naming the failed endpoint is not followed...
        assert!(!eps.follow_hint("127.0.0.1:2"));
        assert_eq!(eps.uris()[0], "http://127.0.0.1:3");
        // ...until it answers again.
        eps.mark_ok(1);
        assert!(eps.follow_hint("127.0.0.1:2"));
        assert_eq!(eps.uris()[0], "http://127.0.0.1:2");
        // When every endpoint failed, moving on still moves.
        for i in 0..3 {
            eps.mark_failed(i);
        }
        eps.advance(1);
        assert_eq!(eps.uris()[0], "http://127.0.0.1:3");
    }

    #[test]
    fn rejects_empty_and_invalid() {
        assert!(Endpoints::new(&[], Duration::from_secs(1), Transport::tcp()).is_err());
        assert!(normalize("not a uri\n").is_err());
    }
}
