use crate::{data, get, put};
use tessera_test_harness::TestServer;

#[tokio::test]
async fn data_keys_and_credentials_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_in(dir.path()).await;
    let c = s.client();
    c.create_bucket().bucket("persist").send().await.unwrap();
    let big = data(1_000_000, 77);
    put(&c, "persist", "small", "tiny").await;
    put(&c, "persist", "big", big.clone()).await;
    let (ak, sk) = crate::admin::create_key(&s, "survivor").await;
    let (root_ak, root_sk) = (s.access_key.clone(), s.secret_key.clone());
    s.stop().await;

    let s = TestServer::start_in(dir.path()).await;
    assert_eq!(
        (s.access_key.clone(), s.secret_key.clone()),
        (root_ak, root_sk)
    );
    let c = s.client();
    assert_eq!(get(&c, "persist", "small").await, b"tiny");
    assert_eq!(get(&c, "persist", "big").await, big);
    let other = s.client_as(&ak, &sk);
    other.list_buckets().send().await.unwrap();
    put(&c, "persist", "after", "restart").await;
    s.stop().await;
}
