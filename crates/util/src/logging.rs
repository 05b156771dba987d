//! Logging setup: `tracing` to stderr, filtered by `RUST_LOG` or the
//! configured level.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber. `default_level` (e.g. "info") applies when
/// `RUST_LOG` is unset. Calling it twice is harmless.
pub fn init(default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "{default_level},h2=warn,hyper=warn,tower=warn,openraft=warn,tonic=warn"
        ))
    });
    use std::io::IsTerminal;
    let _ = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
