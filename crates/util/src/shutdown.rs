//! A cloneable shutdown signal shared by every task of a process.

use tokio::sync::watch;

/// Triggers shutdown for every [`Shutdown`] cloned from it.
#[derive(Clone)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Resolves once shutdown is triggered.
#[derive(Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new trigger and its first listener.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        let _ = self.0.send(true);
    }
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    /// Waits until shutdown is triggered (or its trigger is dropped).
    pub async fn wait(mut self) {
        while !*self.0.borrow() {
            if self.0.changed().await.is_err() {
                return;
            }
        }
    }
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }
}
