//! Bit rot: a shard corrupted on disk is never served (reads rebuild from
//! parity), and the scrub worker finds it and rewrites it.

use crate::{data, get};
use std::time::{Duration, Instant};
use tessera_test_harness::{shard_paths, test_config, TestServer};

#[tokio::test]
async fn corrupt_shard_is_detected_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = test_config(dir.path());
    cfg.worker.scrub_interval_secs = 1;
    let s = TestServer::start_with(cfg).await;
    let c = s.client();
    c.create_bucket().bucket("rot").send().await.unwrap();
    let body = data(600 * 1024, 42);
    crate::put(&c, "rot", "k", body.clone()).await;

    let files = shard_paths(&s.data_dir.join("storage"));
    let victim = files[0].clone();
    let original = std::fs::read(&victim).unwrap();
    let mut rotten = original.clone();
    let last = rotten.len() - 1;
    rotten[last] ^= 0x40;
    std::fs::write(&victim, &rotten).unwrap();

    // Reads never serve the bad shard: the block is rebuilt from parity.
    assert_eq!(get(&c, "rot", "k").await, body);

    // Scrub finds it and writes a good copy (here: the same node, the only
    // one holding no other shard of the block).
    let name = victim.file_name().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = shard_paths(&s.data_dir.join("storage"));
        let healed = now
            .iter()
            .filter(|p| p.file_name() == Some(name.as_os_str()))
            .any(|p| std::fs::read(p).is_ok_and(|b| b == original));
        if healed {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the corrupt shard was not rewritten"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(get(&c, "rot", "k").await, body);
}
