//! Small pieces every Tessera role shares: configuration, logging, background
//! worker plumbing.

pub mod config;
pub mod logging;
pub mod shutdown;

pub use config::Config;
