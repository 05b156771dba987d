//! Compiles `proto/` with protox (a pure-Rust protobuf compiler), so building
//! Tessera needs no system `protoc`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not when it was compiled: a target
    // directory shared by checkouts at different paths reuses the compiled
    // script, and must not compile the protos of a checkout since removed.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let files = [
        root.join("tessera/meta/v1/meta.proto"),
        root.join("tessera/storage/v1/storage.proto"),
    ];
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&root])?;
    tonic_prost_build::configure().bytes(".").compile_fds(fds)?;
    Ok(())
}
