//! `tessera bench` against a real server: every workload runs without
//! errors, with bodies sent from memory and streamed, and leaves nothing.

use tessera_bench::{BenchConfig, Limit, Report, SizeDist, Workload};
use tessera_test_harness::TestServer;

fn config(s: &TestServer, workload: Workload, sizes: &str, stream_above: u64) -> BenchConfig {
    BenchConfig {
        endpoint: s.endpoint(),
        access_key: s.access_key.clone(),
        secret_key: s.secret_key.clone(),
        region: "us-east-1".into(),
        bucket: "bench".into(),
        workload,
        sizes: SizeDist::parse(sizes).unwrap(),
        concurrency: 3,
        limit: Limit::Count(6),
        objects: 30,
        part_size: 5 << 20,
        stream_above,
        progress: false,
        keep: false,
    }
}

async fn run(cfg: BenchConfig) -> Report {
    let report = tokio::time::timeout(std::time::Duration::from_secs(120), tessera_bench::run(cfg))
        .await
        .expect("bench run timed out")
        .expect("bench run");
    for op in &report.ops {
        assert_eq!(op.errors, 0, "{}: {:?}", op.op, op.first_error);
        assert_eq!(op.corrupt, 0, "{}", op.op);
    }
    report
}

fn ops(r: &Report, op: &str) -> u64 {
    r.ops.iter().find(|o| o.op == op).map_or(0, |o| o.ops)
}

#[tokio::test]
async fn every_workload_runs_clean_with_memory_and_streamed_bodies() {
    let s = TestServer::start().await;
    for stream_above in [u64::MAX, 0] {
        let r = run(config(&s, Workload::Put, "300KiB", stream_above)).await;
        assert_eq!(ops(&r, "PUT"), 6);
        assert!(r.total.mib_per_sec > 0.0);
        let r = run(config(&s, Workload::Get, "4KiB:50,600KiB:50", stream_above)).await;
        assert_eq!(ops(&r, "GET"), 6);
        let r = run(config(&s, Workload::Multipart, "11MiB", stream_above)).await;
        assert_eq!(ops(&r, "MULTIPART"), 6);
    }
    let r = run(config(&s, Workload::Mixed, "1KiB", 8 << 20)).await;
    assert_eq!(r.total.ops, 6);
    let mut list = config(&s, Workload::List, "0", 8 << 20);
    list.limit = Limit::Count(2);
    let r = run(list).await;
    assert!(r.total.keys_per_sec.unwrap_or(0.0) > 0.0);
    // Each run deletes its objects afterwards.
    let left = s
        .client()
        .list_objects_v2()
        .bucket("bench")
        .send()
        .await
        .unwrap();
    assert_eq!(left.key_count(), Some(0));
}
