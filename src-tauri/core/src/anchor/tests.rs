use super::*;
use crate::audit::{record_alone, verify, Event, Outcome};
use crate::db::Database;
use chrono::TimeZone;

/// A database file with `count` entries, anchored at its head.
fn anchored_db(count: u32) -> (tempfile::TempDir, PathBuf, Database) {
    let dir = tempfile::tempdir().expect("folder");
    let path = dir.path().join("desk.db");
    let mut db = Database::open(&path).expect("database");
    add(&mut db, count, "first");
    crate::audit::anchor_head(&mut db).expect("anchored");
    (dir, path, db)
}

/// `count` entries more, told apart from others by `detail`.
fn add(db: &mut Database, count: u32, detail: &str) {
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 11, 28, 9, 0, 0)
        .single()
        .expect("instant");
    for n in 0..count {
        let action = format!("action.{n}");
        record_alone(
            db,
            &Event {
                at: start + chrono::Duration::minutes(i64::from(n)),
                actor: "staff:tester",
                action: &action,
                object: "object",
                outcome: Outcome::Ok,
                detail,
            },
        )
        .expect("recorded");
    }
}

/// As someone with raw SQL access would: the triggers dropped, then `sql`.
fn tamper(db: &Database, sql: &str) {
    db.conn()
        .execute_batch(&format!(
            "DROP TRIGGER audit_log_refuses_update; DROP TRIGGER audit_log_refuses_delete; {sql}"
        ))
        .expect("tampering succeeds");
}

#[test]
fn a_healthy_log_reaches_its_anchor_and_a_log_without_one_verifies_as_before() {
    let (_dir, path, mut db) = anchored_db(4);
    let anchor = read(&path).expect("readable").expect("written");
    assert_eq!(anchor.id, 4, "the anchor is the newest entry");
    assert_eq!(verify(&db).expect("verify").first_broken, None, "healthy");
    add(&mut db, 3, "more");
    assert_eq!(
        verify(&db).expect("verify").first_broken,
        None,
        "entries after the anchor are fine: it is only moved now and then"
    );
    std::fs::remove_file(anchor_path(&path)).expect("removed");
    assert_eq!(
        verify(&db).expect("verify").first_broken,
        None,
        "no anchor: the chain alone"
    );
}

#[test]
fn a_log_cut_off_after_its_anchor_is_reported() {
    let (_dir, path, db) = anchored_db(5);
    let anchor = read(&path).expect("readable").expect("written");
    tamper(&db, "DELETE FROM audit_log WHERE id > 3;");
    let report = verify(&db).expect("verify");
    let broken = report.first_broken.expect("the cut is found");
    assert_eq!(
        (broken.id, report.entries),
        (4, 3),
        "the first missing entry"
    );
    assert_eq!(
        broken.reason,
        format!(
            "the audit log ends at entry 3 but entry 5 with hash {} was recorded on {}: entries were removed or the database was rolled back",
            anchor.hash, anchor.at
        ),
        "the reason names where the log ends and what was anchored"
    );
}

#[test]
fn a_database_rolled_back_and_written_again_is_reported() {
    let (_dir, path, mut db) = anchored_db(3);
    let copy = path.with_file_name("older.db");
    db.conn()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("everything in the file itself");
    std::fs::copy(&path, &copy).expect("an older copy of the file");
    add(&mut db, 2, "more");
    crate::audit::anchor_head(&mut db).expect("anchored at 5");
    drop(db);
    // The older file put back in place, and written on.
    std::fs::copy(&copy, &path).expect("rolled back");
    let mut db = Database::open(&path).expect("opens");
    let report = verify(&db).expect("verify");
    assert!(
        report
            .first_broken
            .as_ref()
            .is_some_and(|link| link.id == 4 && link.reason.contains("rolled back")),
        "a rolled-back file ends before its anchor: {report:?}"
    );
    add(&mut db, 3, "after the rollback");
    crate::audit::anchor_head(&mut db).expect("moving is refused quietly");
    let report = verify(&db).expect("verify");
    let broken = report.first_broken.expect("the rewrite is found");
    assert_eq!(broken.id, 5, "the anchored entry");
    assert!(
        broken.reason.contains("its hash is not the one anchored"),
        "{}",
        broken.reason
    );
}

#[test]
fn the_anchor_never_moves_over_a_cut_off_log() {
    let (_dir, path, mut db) = anchored_db(5);
    let anchor = read(&path).expect("readable");
    tamper(&db, "DELETE FROM audit_log WHERE id > 2;");
    crate::audit::anchor_head(&mut db).expect("no error");
    assert_eq!(
        read(&path).expect("readable"),
        anchor,
        "the evidence is kept"
    );
    add(&mut db, 6, "after the cut");
    crate::audit::anchor_head(&mut db).expect("no error");
    assert_eq!(
        read(&path).expect("readable"),
        anchor,
        "not even when the log grows past it again"
    );
    assert!(
        verify(&db).expect("verify").first_broken.is_some(),
        "still reported"
    );
}

#[test]
fn an_anchor_file_that_was_edited_is_an_error_not_a_pass() {
    let (_dir, path, db) = anchored_db(2);
    std::fs::write(anchor_path(&path), "entry 1\n").expect("edited");
    let err = verify(&db).expect_err("not readable as an anchor");
    assert_eq!(err.code, ErrorCode::DatabaseCorrupt, "{}", err.message);
    assert!(
        err.message.contains("audit-anchor"),
        "names the file: {}",
        err.message
    );
}

#[cfg(unix)]
#[test]
fn the_anchor_is_its_owners_only() {
    let (_dir, path, _db) = anchored_db(1);
    assert_eq!(
        crate::files::tests::mode(&anchor_path(&path)),
        0o600,
        "like the database beside it"
    );
}
