//! Tessera's configuration file (TOML). Every field has a default, so an empty
//! file is valid; command-line flags override what the file says. The fields
//! are documented for operators in `docs/reference/configuration.md`.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The whole configuration of a Tessera process.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where `tessera server` keeps everything (metadata, shards, root keys).
    pub data_dir: Option<PathBuf>,
    /// Default log level when `RUST_LOG` is unset.
    pub log_level: String,
    /// The region Tessera reports and accepts in signatures and
    /// LocationConstraint.
    pub region: String,
    /// gRPC addresses (`host:port`) of metadata nodes, for `tessera gateway`
    /// and `tessera storage`. Any subset works: followers redirect to the
    /// leader.
    pub meta_endpoints: Vec<String>,
    pub gateway: GatewayConfig,
    pub meta: MetaSection,
    pub storage: StorageSection,
    pub engine: EngineConfig,
    pub worker: WorkerConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: None,
            log_level: "info".into(),
            region: "us-east-1".into(),
            meta_endpoints: Vec::new(),
            gateway: GatewayConfig::default(),
            meta: MetaSection::default(),
            storage: StorageSection::default(),
            engine: EngineConfig::default(),
            worker: WorkerConfig::default(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// S3 API listen address.
    pub s3_addr: SocketAddr,
    /// Admin API, health and Prometheus metrics listen address.
    pub admin_addr: SocketAddr,
    /// Domains for virtual-hosted-style requests: `BUCKET.<domain>`.
    pub domains: Vec<String>,
    /// Website endpoint listen address: buckets with a website
    /// configuration served as static sites to anonymous browsers.
    pub website_addr: SocketAddr,
    /// Website domains: Host `BUCKET.<domain>` on the website endpoint
    /// serves BUCKET.
    pub website_domains: Vec<String>,
    /// Largest single PUT body accepted, in bytes (S3's limit is 5 GiB).
    pub max_object_size: u64,
    /// Run the background workers (GC) inside `tessera gateway`.
    pub workers: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            s3_addr: SocketAddr::from(([127, 0, 0, 1], 9000)),
            admin_addr: SocketAddr::from(([127, 0, 0, 1], 9100)),
            domains: vec!["localhost".into()],
            website_addr: SocketAddr::from(([127, 0, 0, 1], 9080)),
            website_domains: vec!["localhost".into()],
            max_object_size: 5 * 1024 * 1024 * 1024,
            workers: false,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetaSection {
    /// gRPC listen address of the metadata node (port 0: any free port).
    pub addr: SocketAddr,
    /// Raft node id of this metadata node.
    pub node_id: u64,
    /// Address other nodes use to reach this one, when it differs from
    /// `addr` (e.g. a listener on 0.0.0.0).
    pub advertise: Option<String>,
    /// Initialize the Raft group if it is not initialized yet (set on one
    /// node of a new cluster, with `peers` naming every initial voter).
    pub bootstrap: bool,
    /// Initial voters of a new cluster, `ID=HOST:PORT` (this node included).
    pub peers: Vec<String>,
}

impl Default for MetaSection {
    fn default() -> Self {
        MetaSection {
            addr: SocketAddr::from(([127, 0, 0, 1], 7100)),
            node_id: 1,
            advertise: None,
            bootstrap: false,
            peers: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// gRPC listen address of the first storage node; in `tessera server`
    /// the others use the following ports (port 0: any free port).
    pub addr: SocketAddr,
    /// In `tessera server`: how many storage nodes to run, each backed by a
    /// sub-directory of the data directory.
    pub nodes: usize,
    /// `tessera storage`: the directories (disks) holding shards.
    pub data_dirs: Vec<PathBuf>,
    /// `tessera storage`: this node's failure domain.
    pub zone: String,
    /// `tessera storage`: address others use to reach this node, when it
    /// differs from `addr`.
    pub advertise: Option<String>,
    /// Seconds between a storage node's heartbeats to the cluster map.
    pub heartbeat_secs: u64,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            addr: SocketAddr::from(([127, 0, 0, 1], 7200)),
            nodes: 3,
            data_dirs: Vec::new(),
            zone: "zone-1".into(),
            advertise: None,
            heartbeat_secs: 5,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Erasure profile of STANDARD objects: "DATA+PARITY".
    pub standard_profile: String,
    /// Erasure profile of REDUCED_REDUNDANCY objects.
    pub reduced_redundancy_profile: String,
    /// Plain bytes per erasure-coded block.
    pub block_size: u64,
    /// Objects up to this size are kept inside their metadata record.
    pub inline_threshold: u64,
    /// Blocks encoded and written concurrently per PUT.
    pub write_pipeline: usize,
    /// Bytes of blocks being encoded and written at once, across all the
    /// PUTs and part uploads of the process. A PUT whose next block does
    /// not fit waits, reading no more of its body, so memory stays bounded
    /// however many clients upload (about `(1 + parity/data)` times this,
    /// plus the block each upload is filling).
    pub write_buffer_bytes: u64,
    /// Blocks fetched ahead of the client per GET.
    pub read_ahead: usize,
    /// A storage node whose last heartbeat is older than this many seconds
    /// gets no new shards, and reads prefer other shards of its blocks.
    pub node_timeout_secs: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            standard_profile: "2+1".into(),
            reduced_redundancy_profile: "2+1".into(),
            block_size: 4 * 1024 * 1024,
            inline_threshold: 4096,
            write_pipeline: 2,
            write_buffer_bytes: 24 * 1024 * 1024,
            read_ahead: 2,
            node_timeout_secs: 30,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Seconds between GC passes when the queue is empty.
    pub gc_interval_secs: u64,
    /// Seconds between repair passes (each drains the repair queue, then
    /// walks every stored block).
    pub repair_interval_secs: u64,
    /// Seconds between checks of the repair queue (blocks written with a
    /// missing shard), between full passes.
    pub repair_queue_interval_secs: u64,
    /// Seconds between scrub passes (each re-reads every shard; daily by
    /// default).
    pub scrub_interval_secs: u64,
    /// Seconds between orphan sweeps (each lists every running storage
    /// node's shards and deletes those no record places there).
    pub orphan_sweep_interval_secs: u64,
    /// The sweep leaves shards younger than this alone. Must exceed the
    /// longest write (a PUT or part upload writes its shards before it
    /// commits their metadata).
    pub orphan_grace_secs: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            gc_interval_secs: 5,
            repair_interval_secs: 30,
            repair_queue_interval_secs: 5,
            scrub_interval_secs: 86_400,
            orphan_sweep_interval_secs: 3600,
            orphan_grace_secs: 3600,
        }
    }
}

/// The longest grace the orphan sweep accepts: 30 days.
pub const MAX_ORPHAN_GRACE_SECS: u64 = 30 * 86_400;

/// Parses "DATA+PARITY" (e.g. "4+2").
pub fn parse_profile(s: &str) -> Result<(u8, u8)> {
    let bad = || {
        Error::Invalid(format!(
            "erasure profile {s:?} is not DATA+PARITY, e.g. \"4+2\""
        ))
    };
    let (d, p) = s.split_once('+').ok_or_else(bad)?;
    let d: u8 = d.trim().parse().map_err(|_| bad())?;
    let p: u8 = p.trim().parse().map_err(|_| bad())?;
    if d == 0 || d as usize + p as usize > 255 {
        return Err(bad());
    }
    Ok((d, p))
}

/// Parses a meta peer, `ID=HOST:PORT`.
pub fn parse_peer(s: &str) -> Result<(u64, String)> {
    let bad = || {
        Error::Invalid(format!(
            "meta peer {s:?} is not ID=HOST:PORT, e.g. \"2=10.0.0.2:7100\""
        ))
    };
    let (id, addr) = s.split_once('=').ok_or_else(bad)?;
    let id: u64 = id.trim().parse().map_err(|_| bad())?;
    let addr = addr.trim();
    if id == 0 || !addr.contains(':') {
        return Err(bad());
    }
    Ok((id, addr.to_string()))
}

impl Config {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|e| match e {
            Error::Parse { source, .. } => Error::Parse {
                path: path.to_owned(),
                source,
            },
            e => e,
        })
    }

    pub fn from_toml(text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|source| Error::Parse {
            path: PathBuf::new(),
            source,
        })
    }

    /// For `tessera server`, which runs `storage.nodes` storage nodes itself:
    /// enough of them for every erasure profile's shards.
    pub fn validate_single_server(&self) -> Result<()> {
        self.validate()?;
        let (d, p) = parse_profile(&self.engine.reduced_redundancy_profile)?;
        let (sd, sp) = parse_profile(&self.engine.standard_profile)?;
        if self.storage.nodes < (sd + sp) as usize || self.storage.nodes < (d + p) as usize {
            return Err(Error::Invalid(format!(
                "storage.nodes = {} is fewer than the shards of an erasure profile",
                self.storage.nodes
            )));
        }
        Ok(())
    }

    /// Checks values that the types alone cannot.
    pub fn validate(&self) -> Result<()> {
        parse_profile(&self.engine.standard_profile)?;
        parse_profile(&self.engine.reduced_redundancy_profile)?;
        if self.engine.block_size < 64 * 1024 || self.engine.block_size > 64 * 1024 * 1024 {
            return Err(Error::Invalid(
                "engine.block_size must be between 64 KiB and 64 MiB".into(),
            ));
        }
        if self.engine.inline_threshold > 1024 * 1024 {
            return Err(Error::Invalid(
                "engine.inline_threshold must be at most 1 MiB".into(),
            ));
        }
        if self.engine.write_buffer_bytes < 1024 * 1024 {
            return Err(Error::Invalid(
                "engine.write_buffer_bytes must be at least 1 MiB".into(),
            ));
        }
        if self.engine.write_pipeline == 0 || self.engine.read_ahead == 0 {
            return Err(Error::Invalid(
                "engine.write_pipeline and engine.read_ahead must be at least 1".into(),
            ));
        }
        if self.storage.heartbeat_secs == 0
            || self.engine.node_timeout_secs <= self.storage.heartbeat_secs
        {
            return Err(Error::Invalid(
                "engine.node_timeout_secs must exceed storage.heartbeat_secs (at least 1)".into(),
            ));
        }
        if self.worker.repair_queue_interval_secs == 0 {
            return Err(Error::Invalid(
                "worker.repair_queue_interval_secs must be at least 1".into(),
            ));
        }
        if self.worker.orphan_sweep_interval_secs == 0 {
            return Err(Error::Invalid(
                "worker.orphan_sweep_interval_secs must be at least 1".into(),
            ));
        }
        if self.worker.orphan_grace_secs > MAX_ORPHAN_GRACE_SECS {
            return Err(Error::Invalid(format!(
                "worker.orphan_grace_secs must be at most {MAX_ORPHAN_GRACE_SECS} (30 days)"
            )));
        }
        for p in &self.meta.peers {
            parse_peer(p)?;
        }
        if self.region.is_empty() {
            return Err(Error::Invalid("region must not be empty".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c, Config::default());
        c.validate().unwrap();
    }

    #[test]
    fn sections_parse_and_unknown_fields_are_rejected() {
        let c = Config::from_toml(
            "region = \"eu-west-1\"\n[gateway]\ns3_addr = \"0.0.0.0:9000\"\n[engine]\nstandard_profile = \"4+2\"\n[storage]\nnodes = 6\n",
        )
        .unwrap();
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.gateway.s3_addr.port(), 9000);
        assert_eq!(c.gateway.website_addr.port(), 9080);
        assert_eq!(c.gateway.website_domains, ["localhost"]);
        c.validate().unwrap();
        assert!(Config::from_toml("[gateway]\nbogus = 1\n").is_err());
    }

    #[test]
    fn validation_catches_bad_profiles() {
        assert_eq!(parse_profile("4+2").unwrap(), (4, 2));
        assert!(parse_profile("0+2").is_err());
        assert!(parse_profile("four").is_err());
        let mut c = Config::default();
        c.engine.standard_profile = "4+2".into();
        c.validate().unwrap();
        assert!(c.validate_single_server().is_err(), "6 shards need 6 nodes");
    }

    #[test]
    fn worker_intervals_are_validated() {
        let c = Config::from_toml(
            "[worker]\norphan_sweep_interval_secs = 60\norphan_grace_secs = 0\nrepair_queue_interval_secs = 1\n",
        )
        .unwrap();
        assert_eq!(c.worker.orphan_sweep_interval_secs, 60);
        assert_eq!(c.worker.orphan_grace_secs, 0);
        c.validate().unwrap();
        assert_eq!(Config::default().worker.orphan_grace_secs, 3600);
        assert!(Config::from_toml("[worker]\norphan_grace_secs = -1\n").is_err());
        for bad in [
            "[worker]\norphan_sweep_interval_secs = 0\n",
            "[worker]\nrepair_queue_interval_secs = 0\n",
            "[worker]\norphan_grace_secs = 99999999\n",
        ] {
            assert!(Config::from_toml(bad).unwrap().validate().is_err(), "{bad}");
        }
    }
}
