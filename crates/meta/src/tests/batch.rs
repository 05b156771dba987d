//! Batch entries (group commit): each command applies in order, seeing the
//! ones before it, with its own outcome; an interrupted batch resumes after
//! the commands already applied.

use super::*;
use crate::store::{db::CF_SM, KEY_APPLIED_PART};
use tessera_types::meta::Precondition;

fn put_if_absent(bucket: &str, key: &str, etag: &str) -> Command {
    Command::PutObject {
        bucket: bucket.into(),
        key: key.into(),
        object: inline_object(etag),
        precondition: Precondition::NotExists,
        event: tessera_types::events::EventName::ObjectCreatedPut,
    }
}

fn batch_results(reply: CommandReply) -> Vec<CommandResult> {
    match reply {
        CommandReply::Batch(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn commands_of_a_batch_see_the_ones_before_them() {
    let mut h = Harness::new();
    let results = batch_results(h.ok(Command::Batch {
        commands: vec![
            Command::CreateBucket {
                bucket: bucket("b", "owner"),
            },
            put_if_absent("b", "k", "first"),
            put_if_absent("b", "k", "second"),
            Command::CreateBucket {
                bucket: bucket("b", "owner"),
            },
            Command::Batch { commands: vec![] },
        ],
    }));
    assert_eq!(results.len(), 5);
    assert_eq!(results[0], Ok(CommandReply::Done));
    assert_eq!(results[1], Ok(CommandReply::Object(None)));
    assert_eq!(results[2], Err(MetaError::PreconditionFailed));
    assert_eq!(results[3], Err(MetaError::BucketAlreadyOwnedByYou));
    assert!(matches!(results[4], Err(MetaError::Invalid(_))));
    let stored = match h.q(Query::GetObject {
        bucket: "b".into(),
        key: "k".into(),
    }) {
        Ok(QueryReply::Object(o)) => o.unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(stored.etag, "first");
    // The progress record is gone once the batch is applied.
    assert!(db::get::<(u64, u32)>(&h.db, CF_SM, KEY_APPLIED_PART)
        .unwrap()
        .is_none());
}

#[test]
fn an_interrupted_batch_resumes_after_the_commands_applied() {
    let mut h = Harness::new();
    h.bucket("b");
    // As a stop after the batch's first command leaves it: that command's
    // effect and the progress record, but not `last_applied`.
    h.put("b", "done", inline_object("x"));
    let next_index = h.index + 1;
    db::put_synced(&h.db, CF_SM, KEY_APPLIED_PART, &(next_index, 1u32)).unwrap();
    let results = batch_results(h.ok(Command::Batch {
        commands: vec![
            put_if_absent("b", "done", "again"),
            put_if_absent("b", "after", "y"),
        ],
    }));
    // Not applied twice: the first command would fail its precondition.
    assert_eq!(results[0], Ok(CommandReply::Done));
    assert_eq!(results[1], Ok(CommandReply::Object(None)));
    // A record for another entry is ignored.
    db::put_synced(&h.db, CF_SM, KEY_APPLIED_PART, &(next_index, 1u32)).unwrap();
    let results = batch_results(h.ok(Command::Batch {
        commands: vec![put_if_absent("b", "third", "z")],
    }));
    assert_eq!(results, vec![Ok(CommandReply::Object(None))]);
}
