//! MD5 of a PUT body. The first bytes are hashed where they arrive; a body
//! that grows past [`INLINE_BYTES`] moves to a blocking thread of its own, so
//! that MD5 (the costliest per-byte work) runs in parallel with erasure coding
//! and shard I/O. Small objects thus never pay for a thread hand-off.

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::sync::mpsc;

/// Chunks a body may be ahead of its MD5 thread.
const MD5_QUEUE: usize = 2;

/// Bytes hashed on the caller's task before MD5 moves to a thread (about
/// 0.1 ms of work).
const INLINE_BYTES: usize = 64 * 1024;

pub(crate) enum Md5Task {
    /// Hashing where the chunks arrive; `len` bytes so far.
    Inline { hasher: Md5, len: usize },
    /// Hashing on a blocking thread, fed through a channel.
    Thread {
        tx: mpsc::Sender<Bytes>,
        handle: tokio::task::JoinHandle<[u8; 16]>,
    },
}

impl Md5Task {
    pub(crate) fn new() -> Md5Task {
        Md5Task::Inline {
            hasher: Md5::new(),
            len: 0,
        }
    }

    pub(crate) async fn update(&mut self, chunk: Bytes) {
        if let Md5Task::Inline { hasher, len } = self {
            if *len + chunk.len() <= INLINE_BYTES {
                hasher.update(&chunk);
                *len += chunk.len();
                return;
            }
            *self = Md5Task::spawn(std::mem::take(hasher));
        }
        if let Md5Task::Thread { tx, .. } = self {
            // The receiver only goes away if the thread panicked; finish()
            // reports that.
            let _ = tx.send(chunk).await;
        }
    }

    /// Continues `hasher` on a blocking thread.
    fn spawn(mut hasher: Md5) -> Md5Task {
        // Few chunks queued: when MD5 falls behind, the body is read no
        // faster than it is hashed, instead of piling up in memory. A chunk
        // is a view of the connection's read buffer (up to about 400 KiB),
        // which it keeps allocated while it waits.
        let (tx, mut rx) = mpsc::channel::<Bytes>(MD5_QUEUE);
        let handle = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = rx.blocking_recv() {
                hasher.update(&chunk);
            }
            hasher.finalize().into()
        });
        Md5Task::Thread { tx, handle }
    }

    pub(crate) async fn finish(self) -> Result<[u8; 16], crate::Error> {
        match self {
            Md5Task::Inline { hasher, .. } => Ok(hasher.finalize().into()),
            Md5Task::Thread { tx, handle } => {
                drop(tx);
                handle
                    .await
                    .map_err(|e| crate::Error::Internal(format!("md5 task: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest is the same whether the body stays inline or moves to a
    /// thread part-way, at any chunking.
    #[tokio::test]
    async fn digest_is_independent_of_where_it_is_computed() {
        let body: Vec<u8> = (0..3 * INLINE_BYTES + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        for (len, chunk) in [
            (100, 7),
            (INLINE_BYTES, 4096),
            (body.len(), 1000),
            (body.len(), INLINE_BYTES + 1),
        ] {
            let mut task = Md5Task::new();
            for c in body[..len].chunks(chunk) {
                task.update(Bytes::copy_from_slice(c)).await;
            }
            let expected: [u8; 16] = Md5::digest(&body[..len]).into();
            assert_eq!(
                task.finish().await.unwrap(),
                expected,
                "len {len} chunk {chunk}"
            );
        }
    }
}
