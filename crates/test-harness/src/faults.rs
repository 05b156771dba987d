//! A fault-injecting network for in-process clusters.
//!
//! Every node of a [`crate::Cluster`] opens its gRPC connections through a
//! [`Transport`] made by [`FaultNet::transport`], labelled with the node's
//! name. Connections are real loopback TCP; the wrapper around each stream
//! consults the shared fault table on every read and write:
//!
//! - **partition / isolate**: the link behaves like a cut cable under TCP.
//!   Connects hang (until the caller's connect timeout), and established
//!   connections stall in both directions with nothing lost; when the cut
//!   heals they resume, as TCP would after retransmission.
//! - **delay**: every write on the link waits first, like one-way latency.
//! - **drop**: established connections of a node fail at once with a
//!   connection reset (new ones may be opened right away).
//!
//! The table is keyed by node name; listening addresses are mapped to names
//! with [`FaultNet::register`].

use futures::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use tessera_proto::transport::{BoxStream, Dialer, Transport};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

#[derive(Default)]
struct State {
    /// Listening address -> node name.
    names: HashMap<String, String>,
    /// Cut links, stored in both directions.
    cut: HashSet<(String, String)>,
    /// Nodes cut off from every other node.
    isolated: HashSet<String>,
    /// One-way delay of writes from the first node to the second.
    delay: HashMap<(String, String), Duration>,
    /// Bumped by [`FaultNet::drop_connections`]; a connection opened at an
    /// older epoch of either end is reset.
    epoch: HashMap<String, u64>,
    /// Tasks waiting for the table to change (stalled connections).
    wakers: Vec<Waker>,
}

impl State {
    fn blocked(&self, from: &str, to: &str) -> bool {
        from != to
            && (self.isolated.contains(from)
                || self.isolated.contains(to)
                || self.cut.contains(&(from.to_string(), to.to_string())))
    }

    fn epoch(&self, node: &str) -> u64 {
        self.epoch.get(node).copied().unwrap_or(0)
    }
}

/// The fault table shared by every node of one cluster. Cheap to clone.
#[derive(Clone, Default)]
pub struct FaultNet {
    state: Arc<Mutex<State>>,
}

impl FaultNet {
    pub fn new() -> FaultNet {
        FaultNet::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies `change` and wakes every stalled connection to re-check.
    fn change(&self, change: impl FnOnce(&mut State)) {
        let wakers = {
            let mut st = self.lock();
            change(&mut st);
            std::mem::take(&mut st.wakers)
        };
        for w in wakers {
            w.wake();
        }
    }

    /// Names the node listening on `addr`.
    pub fn register(&self, name: &str, addr: SocketAddr) {
        self.lock().names.insert(addr.to_string(), name.to_string());
    }

    /// The transport of node `name`: its connections obey the table.
    pub fn transport(&self, name: &str) -> Transport {
        Transport::with_dialer(Arc::new(FaultDialer {
            net: self.clone(),
            from: name.to_string(),
        }))
    }

    /// Cuts every link between a node of `a` and a node of `b`.
    pub fn partition(&self, a: &[&str], b: &[&str]) {
        tracing::info!(?a, ?b, "fault: partition");
        self.change(|st| {
            for x in a {
                for y in b {
                    st.cut.insert((x.to_string(), y.to_string()));
                    st.cut.insert((y.to_string(), x.to_string()));
                }
            }
        });
    }

    /// Cuts `node` off from every other node.
    pub fn isolate(&self, node: &str) {
        tracing::info!(node, "fault: isolate");
        self.change(|st| {
            st.isolated.insert(node.to_string());
        });
    }

    /// Delays every write from `from` to `to` by `by`.
    pub fn delay(&self, from: &str, to: &str, by: Duration) {
        tracing::info!(from, to, ?by, "fault: delay");
        self.change(|st| {
            st.delay.insert((from.to_string(), to.to_string()), by);
        });
    }

    /// Resets every established connection from or to `node`.
    pub fn drop_connections(&self, node: &str) {
        tracing::info!(node, "fault: drop connections");
        self.change(|st| {
            *st.epoch.entry(node.to_string()).or_default() += 1;
        });
    }

    /// Removes every partition, isolation and delay.
    pub fn heal(&self) {
        tracing::info!("fault: heal");
        self.change(|st| {
            st.cut.clear();
            st.isolated.clear();
            st.delay.clear();
        });
    }

    /// Whether traffic between `from` and `to` is cut now.
    pub fn is_blocked(&self, from: &str, to: &str) -> bool {
        self.lock().blocked(from, to)
    }

    /// `Pending` (with `cx` woken on the next change) while the link is cut.
    fn poll_open(&self, from: &str, to: &str, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.lock();
        if st.blocked(from, to) {
            st.wakers.push(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

struct FaultDialer {
    net: FaultNet,
    from: String,
}

impl Dialer for FaultDialer {
    fn dial(&self, authority: String) -> BoxFuture<'static, io::Result<BoxStream>> {
        let net = self.net.clone();
        let from = self.from.clone();
        Box::pin(async move {
            // An address nobody registered (a node not started through the
            // cluster) is named by its address and never cut.
            let to = net
                .lock()
                .names
                .get(&authority)
                .cloned()
                .unwrap_or_else(|| authority.clone());
            // A SYN into a cut link goes unanswered: wait, and let the
            // caller's connect timeout decide.
            std::future::poll_fn(|cx| net.poll_open(&from, &to, cx)).await;
            let tcp = TcpStream::connect(&authority).await?;
            tcp.set_nodelay(true)?;
            let epochs = {
                let st = net.lock();
                (st.epoch(&from), st.epoch(&to))
            };
            let stream: BoxStream = Box::new(FaultyStream {
                tcp,
                net,
                from,
                to,
                epochs,
                delay: None,
                delayed: false,
            });
            Ok(stream)
        })
    }
}

/// A TCP stream whose reads and writes obey the fault table.
struct FaultyStream {
    tcp: TcpStream,
    net: FaultNet,
    from: String,
    to: String,
    /// The drop epochs of both ends when the connection was opened.
    epochs: (u64, u64),
    /// The pending write delay, and whether it has elapsed for the write
    /// being attempted.
    delay: Option<Pin<Box<Sleep>>>,
    delayed: bool,
}

impl FaultyStream {
    /// `Some` when the table says the operation must not proceed now: reset
    /// (dropped) or stalled (cut).
    fn gate(&self, cx: &mut Context<'_>) -> Option<Poll<io::Error>> {
        let mut st = self.net.lock();
        if (st.epoch(&self.from), st.epoch(&self.to)) != self.epochs {
            return Some(Poll::Ready(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection dropped by fault injection",
            )));
        }
        if st.blocked(&self.from, &self.to) {
            st.wakers.push(cx.waker().clone());
            return Some(Poll::Pending);
        }
        None
    }

    fn write_delay(&self) -> Option<Duration> {
        self.net
            .lock()
            .delay
            .get(&(self.from.clone(), self.to.clone()))
            .copied()
    }

    /// Waits out the link's delay once per write.
    fn poll_delay(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.delayed {
            return Poll::Ready(());
        }
        let Some(by) = self.write_delay() else {
            return Poll::Ready(());
        };
        let sleep = self
            .delay
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(by)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.delay = None;
                self.delayed = true;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn gated<T>(p: Poll<io::Error>) -> Poll<io::Result<T>> {
    p.map(Err)
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(p) = self.gate(cx) {
            return gated(p);
        }
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(p) = self.gate(cx) {
            return gated(p);
        }
        if self.poll_delay(cx).is_pending() {
            return Poll::Pending;
        }
        let r = Pin::new(&mut self.tcp).poll_write(cx, buf);
        if r.is_ready() {
            self.delayed = false;
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(p) = self.gate(cx) {
            return gated(p);
        }
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    async fn echo_server() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn dial(net: &FaultNet, from: &str, addr: SocketAddr) -> io::Result<BoxStream> {
        let d = FaultDialer {
            net: net.clone(),
            from: from.to_string(),
        };
        d.dial(addr.to_string()).await
    }

    async fn ping(s: &mut BoxStream) -> io::Result<()> {
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await?;
        assert_eq!(&buf, b"ping");
        Ok(())
    }

    const SHORT: Duration = Duration::from_millis(200);

    #[tokio::test]
    async fn partition_stalls_and_heal_resumes() {
        let net = FaultNet::new();
        let addr = echo_server().await;
        net.register("b", addr);
        let mut s = dial(&net, "a", addr).await.unwrap();
        ping(&mut s).await.unwrap();

        net.partition(&["a"], &["b"]);
        assert!(tokio::time::timeout(SHORT, ping(&mut s)).await.is_err());
        assert!(tokio::time::timeout(SHORT, dial(&net, "a", addr))
            .await
            .is_err());
        // Other nodes are not affected.
        let mut c = dial(&net, "c", addr).await.unwrap();
        ping(&mut c).await.unwrap();

        net.heal();
        let mut s2 = dial(&net, "a", addr).await.unwrap();
        ping(&mut s2).await.unwrap();
    }

    #[tokio::test]
    async fn isolate_cuts_every_link_of_a_node() {
        let net = FaultNet::new();
        let addr = echo_server().await;
        net.register("b", addr);
        net.isolate("b");
        assert!(tokio::time::timeout(SHORT, dial(&net, "a", addr))
            .await
            .is_err());
        net.heal();
        let mut s = dial(&net, "a", addr).await.unwrap();
        ping(&mut s).await.unwrap();
    }

    #[tokio::test]
    async fn drop_resets_established_connections() {
        let net = FaultNet::new();
        let addr = echo_server().await;
        net.register("b", addr);
        let mut s = dial(&net, "a", addr).await.unwrap();
        ping(&mut s).await.unwrap();
        net.drop_connections("b");
        let err = ping(&mut s).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        let mut s2 = dial(&net, "a", addr).await.unwrap();
        ping(&mut s2).await.unwrap();
    }

    #[tokio::test]
    async fn delay_slows_writes() {
        let net = FaultNet::new();
        let addr = echo_server().await;
        net.register("b", addr);
        let mut s = dial(&net, "a", addr).await.unwrap();
        net.delay("a", "b", Duration::from_millis(300));
        let started = std::time::Instant::now();
        ping(&mut s).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
}
