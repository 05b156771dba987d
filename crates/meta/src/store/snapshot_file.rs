//! The snapshot data openraft reads (to send a snapshot) and writes (to
//! receive one): a file of the snapshot directory that knows its path.

use std::io::SeekFrom;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::fs::File;
use tokio::io::{AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

/// An open snapshot file.
#[derive(Debug)]
pub struct SnapshotFile {
    file: File,
    path: PathBuf,
}

impl SnapshotFile {
    /// Opens a snapshot to read it.
    pub(crate) async fn open(path: PathBuf) -> std::io::Result<SnapshotFile> {
        let file = File::open(&path).await?;
        Ok(SnapshotFile { file, path })
    }

    /// Creates a file to receive a snapshot into.
    pub(crate) async fn create(path: PathBuf) -> std::io::Result<SnapshotFile> {
        let file = File::create(&path).await?;
        Ok(SnapshotFile { file, path })
    }

    /// Writes out what is buffered and closes the file, returning its path.
    pub(crate) async fn close(mut self) -> std::io::Result<PathBuf> {
        use tokio::io::AsyncWriteExt;
        self.file.flush().await?;
        Ok(self.path)
    }
}

impl AsyncRead for SnapshotFile {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.file).poll_read(cx, buf)
    }
}

impl AsyncWrite for SnapshotFile {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.file).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.file).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.file).poll_shutdown(cx)
    }
}

impl AsyncSeek for SnapshotFile {
    fn start_seek(mut self: Pin<&mut Self>, position: SeekFrom) -> std::io::Result<()> {
        Pin::new(&mut self.file).start_seek(position)
    }

    fn poll_complete(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<u64>> {
        Pin::new(&mut self.file).poll_complete(cx)
    }
}
