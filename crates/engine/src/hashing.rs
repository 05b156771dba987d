//! MD5 of a PUT body on its own blocking thread, so that it runs in parallel
//! with erasure coding and shard I/O (MD5 is the costliest per-byte work).

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::sync::mpsc;

pub(crate) struct Md5Task {
    tx: Option<mpsc::Sender<Bytes>>,
    handle: tokio::task::JoinHandle<[u8; 16]>,
}

impl Md5Task {
    pub(crate) fn spawn() -> Md5Task {
        // Few chunks queued: when MD5 falls behind, the body is read no
        // faster than it is hashed, instead of piling up in memory.
        let (tx, mut rx) = mpsc::channel::<Bytes>(8);
        let handle = tokio::task::spawn_blocking(move || {
            let mut h = Md5::new();
            while let Some(chunk) = rx.blocking_recv() {
                h.update(&chunk);
            }
            h.finalize().into()
        });
        Md5Task {
            tx: Some(tx),
            handle,
        }
    }

    pub(crate) async fn update(&self, chunk: Bytes) {
        if let Some(tx) = &self.tx {
            // The receiver only goes away if the thread panicked; finish()
            // reports that.
            let _ = tx.send(chunk).await;
        }
    }

    pub(crate) async fn finish(mut self) -> Result<[u8; 16], crate::Error> {
        self.tx.take();
        self.handle
            .await
            .map_err(|e| crate::Error::Internal(format!("md5 task: {e}")))
    }
}
