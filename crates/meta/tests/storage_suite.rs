//! openraft's storage conformance suite on the RocksDB log store and state machine.

#![allow(clippy::unwrap_used)]

use openraft::testing::{StoreBuilder, Suite};
use openraft::StorageError;
use tessera_meta::testing::open_store;
use tessera_meta::{LogStore, StateMachine, TypeConfig};

struct TempStoreBuilder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for TempStoreBuilder {
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError<u64>> {
        let dir = tempfile::tempdir().unwrap();
        let (log, sm, _reader) = open_store(&dir.path().join("meta.db")).unwrap();
        Ok((dir, log, sm))
    }
}

#[test]
fn openraft_storage_suite() -> Result<(), StorageError<u64>> {
    Suite::test_all(TempStoreBuilder)
}
