//! A Tessera storage node: stores erasure-coded shards on local disks and
//! serves them over gRPC (`tessera.storage.v1.Storage`).
//!
//! # On-disk format
//!
//! Each data directory holds:
//! - `node.id`: the node's id in decimal (every directory records the same
//!   id; a node refuses to start on a directory of another node);
//! - `LOCK`: held with an exclusive `flock` while the node runs, so two
//!   processes never share a directory;
//! - `shards/<xx>/<block hex>.<index>`: one file per shard, where `xx` is the
//!   first two hex digits of the block id. The data directory of a shard is
//!   chosen by hashing its id (see [`layout::dir_index`]); reads and deletes
//!   also look in the other directories, so a shard stays reachable if the
//!   list of directories changes.
//!
//! A shard file is the shard's bytes followed by a 45-byte trailer (format
//! 2):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | len | data |
//! | len | 32 | blake3 hash of the data |
//! | len + 32 | 8 | data length, little-endian `u64` |
//! | len + 40 | 1 | format version, `2` |
//! | len + 41 | 4 | magic `TSHD` |
//!
//! The data starts at offset 0 so that its whole 4 KiB blocks can be
//! written with `O_DIRECT`, from the page-aligned buffers shards are cut
//! from, without a copy into the page cache (shards of 64 KiB and more; the
//! last partial block and the trailer go through the page cache). Files of
//! format 1, written by earlier releases, are still read: the same fields
//! as a header before the data (magic, version `1`, length, hash).
//!
//! Writes go to a uniquely named temporary file (`.<name>.<n>.tmp`) in the
//! shard's directory, which is written, `fsync`ed, renamed over the final
//! name, and then the directory is `fsync`ed; only then does a put return.
//! Left-over temporary files of a crash are removed at start; a file cut
//! short by a crash has no trailer and is refused as damaged. Every read
//! checks the trailer; [`StorageNode::get_shard`] also the blake3 hash of
//! the data, while `GetShard` leaves that to the client, which hashes what
//! it receives against the trailer's hash and the one in metadata.
//!
//! `ListShards` pages through a node's shards in (block id, index) order
//! (the orphan sweep's view of the node), reading one fan-out directory at a
//! time; a conditional `DeleteShards` removes only files not written since
//! a given time, so that a shard rewritten after it was listed survives.

mod config;
mod disk;
mod error;
mod grpc;
mod identity;
pub mod layout;
mod listing;
mod node;

pub use config::StorageConfig;
pub use error::{Error, Result};
pub use grpc::{serve, GrpcStorage};
pub use listing::{ShardInfo, MAX_PAGE as MAX_LIST_PAGE};
pub use node::{NodeStatus, StorageNode};
