use super::*;
use chrono::TimeZone;

fn event(n: u32) -> (String, String) {
    (format!("action.{n}"), format!("object:{n}"))
}

fn db_with_entries(count: u32) -> Database {
    let mut db = Database::open_in_memory().expect("database");
    let start = Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
        .single()
        .expect("instant");
    for n in 0..count {
        let (action, object) = event(n);
        record_alone(
            &mut db,
            &Event {
                at: start + chrono::Duration::minutes(i64::from(n)),
                actor: "staff:tester",
                action: &action,
                object: &object,
                outcome: Outcome::Ok,
                detail: "",
            },
        )
        .expect("recorded");
    }
    db
}

/// Tampering needs the triggers gone, as an attacker with raw SQL access would do.
fn without_triggers(db: &Database, sql: &str) {
    db.conn()
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_refuses_update; DROP TRIGGER audit_log_refuses_delete; {sql}"
        ))
        .expect("tampering succeeds");
}

#[test]
fn an_untouched_chain_verifies() {
    let db = db_with_entries(5);
    let report = verify(&db).expect("verify");
    assert_eq!(
        report,
        VerifyReport {
            entries: 5,
            first_broken: None
        },
        "five intact entries"
    );
}

#[test]
fn the_log_refuses_updates_and_deletes() {
    let db = db_with_entries(2);
    let update = db.conn().execute(
        "UPDATE audit_log SET actor = 'someone else' WHERE id = 1",
        [],
    );
    assert!(update.is_err(), "UPDATE is refused by a trigger");
    let delete = db.conn().execute("DELETE FROM audit_log WHERE id = 1", []);
    assert!(delete.is_err(), "DELETE is refused by a trigger");
    assert_eq!(
        verify(&db).expect("verify").first_broken,
        None,
        "the refused changes changed nothing"
    );
}

#[test]
fn an_edited_row_is_found() {
    let db = db_with_entries(5);
    without_triggers(
        &db,
        "UPDATE audit_log SET actor = 'staff:innocent' WHERE id = 3;",
    );
    let report = verify(&db).expect("verify");
    let broken = report.first_broken.expect("the edit is caught");
    assert_eq!(broken.id, 3, "the edited entry is named");
    assert!(broken.reason.contains("changed"), "{}", broken.reason);
    assert_eq!(
        report.entries, 2,
        "entries before the break are counted as good"
    );
}

#[test]
fn a_deleted_row_is_found() {
    let db = db_with_entries(5);
    without_triggers(&db, "DELETE FROM audit_log WHERE id = 2;");
    let broken = verify(&db)
        .expect("verify")
        .first_broken
        .expect("the deletion is caught");
    assert_eq!(broken.id, 2, "the missing entry is named");
    assert!(broken.reason.contains("missing"), "{}", broken.reason);
}

#[test]
fn a_rewritten_hash_is_still_caught_by_the_next_link() {
    let db = db_with_entries(4);
    // Recompute entry 2's own hash after editing it: the chain breaks at entry 3.
    let entries = storage::all(db.conn()).expect("entries");
    let second = &entries[1];
    let forged = entry_hash(
        &second.prev_hash,
        2,
        [
            &second.at,
            "staff:innocent",
            &second.action,
            &second.object,
            &second.result,
            &second.detail,
        ],
    );
    without_triggers(
        &db,
        &format!("UPDATE audit_log SET actor = 'staff:innocent', hash = '{forged}' WHERE id = 2;"),
    );
    let broken = verify(&db).expect("verify").first_broken.expect("caught");
    assert_eq!(
        broken.id, 3,
        "the next entry no longer points at the forged one"
    );
}

#[test]
fn filters_select_by_actor_action_and_time() {
    let db = db_with_entries(6);
    let filter = Filter {
        action: Some("action.4".into()),
        limit: 10,
        ..Default::default()
    };
    let found = list(&db, &filter).expect("list");
    assert_eq!(found.len(), 1, "one entry has that action");
    let from = Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 2, 0)
        .single()
        .expect("instant");
    let filter = Filter {
        from: Some(from),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        list(&db, &filter).expect("list").len(),
        4,
        "entries from 09:02 on"
    );
    let filter = Filter {
        actor: Some("staff:nobody".into()),
        limit: 10,
        ..Default::default()
    };
    assert!(
        list(&db, &filter).expect("list").is_empty(),
        "no entries for an unknown actor"
    );
}
