//! The wiring behind the `tessera` binary, as a library so that tests start
//! exactly what operators start.

pub mod admin_client;
pub mod credentials;
pub mod roles;
pub mod server;
