//! Break-glass staff administration and audit verification from the command line.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use engagement_desk_tests::{os_account, run_cli, run_cli_with_input, TempDb};

const PASSWORD: &str = "orchard lantern pebble violin\n";

fn db_arg(db: &TempDb) -> &str {
    db.path.to_str().expect("utf-8 path")
}

#[test]
fn staff_can_be_added_listed_reset_unlocked_and_disabled() {
    let db = TempDb::new();
    let add = run_cli_with_input(
        &[
            "--db",
            db_arg(&db),
            "staff",
            "add",
            "--username",
            "maria",
            "--name",
            "Maria Rivera",
            "--role",
            "admin",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        // Whoever runs the command cannot choose the name it is audited under.
        &[
            ("USER", "mallory"),
            ("USERNAME", "mallory"),
            ("LOGNAME", "mallory"),
        ],
        PASSWORD,
    );
    assert_eq!(add.code, Some(0), "staff add succeeds: {}", add.stderr);
    assert!(
        add.stdout.contains("maria") && add.stdout.contains("supervisor,admin"),
        "{}",
        add.stdout
    );

    let list = run_cli(&["--db", db_arg(&db), "staff", "list"], &[]);
    assert!(
        list.stdout
            .lines()
            .any(|line| line.starts_with("maria") && line.ends_with("must change password")),
        "{}",
        list.stdout
    );

    let reset = run_cli_with_input(
        &[
            "--db",
            db_arg(&db),
            "staff",
            "reset-password",
            "maria",
            "--password-stdin",
        ],
        &[],
        "saffron glacier tuba nickel\n",
    );
    assert_eq!(reset.code, Some(0), "reset succeeds: {}", reset.stderr);
    assert!(
        reset.stdout.contains("must change password"),
        "{}",
        reset.stdout
    );

    let unlock = run_cli(&["--db", db_arg(&db), "staff", "unlock", "maria"], &[]);
    assert_eq!(unlock.code, Some(0), "unlock succeeds: {}", unlock.stderr);
    let disable = run_cli(&["--db", db_arg(&db), "staff", "disable", "maria"], &[]);
    assert_eq!(
        disable.code,
        Some(1),
        "the last administrator cannot be disabled: {}",
        disable.stdout
    );
    assert!(
        disable.stderr.contains("no active administrator"),
        "and the reason is given: {}",
        disable.stderr
    );
    let second = run_cli_with_input(
        &[
            "--db",
            db_arg(&db),
            "staff",
            "add",
            "--username",
            "omar",
            "--name",
            "Omar Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &[],
        "quartz meadow lantern fig\n",
    );
    assert_eq!(
        second.code,
        Some(0),
        "a second administrator: {}",
        second.stderr
    );
    let disable = run_cli(&["--db", db_arg(&db), "staff", "disable", "maria"], &[]);
    assert!(disable.stdout.contains("disabled"), "{}", disable.stdout);

    let conn = rusqlite::Connection::open(&db.path).expect("database");
    let actor: String = conn
        .query_row(
            "SELECT actor FROM audit_log WHERE action = 'staff.create'",
            [],
            |row| row.get(0),
        )
        .expect("creation audited");
    assert_eq!(
        actor,
        format!("os:{}", os_account()),
        "the actor is the operating-system account, asked of the system, whatever $USER says"
    );
    assert!(!actor.contains("mallory"), "$USER is not believed: {actor}");
    let secrets: i64 = conn
        .query_row("SELECT count(*) FROM audit_log WHERE detail LIKE '%orchard%' OR object LIKE '%orchard%'", [], |row| row.get(0))
        .expect("query");
    assert_eq!(secrets, 0, "passwords never reach the audit log");
}

#[test]
fn an_account_made_on_the_command_line_chooses_its_own_password_at_first_login() {
    use engagement_desk_core::auth::{self, Operation};
    use engagement_desk_core::clock::SystemClock;
    let db = TempDb::new();
    let add = run_cli_with_input(
        &[
            "--db",
            db_arg(&db),
            "staff",
            "add",
            "--username",
            "nina",
            "--name",
            "Nina Nurse",
            "--role",
            "nurse",
            "--password-stdin",
        ],
        &[],
        PASSWORD,
    );
    assert_eq!(add.code, Some(0), "staff add succeeds: {}", add.stderr);
    assert!(
        add.stdout.contains("must change password"),
        "the new account is shown as having to choose its password: {}",
        add.stdout
    );
    let mut database = engagement_desk_core::db::Database::open(&db.path).expect("database");
    let given = PASSWORD.trim_end();
    let mut nina = auth::login(&mut database, &SystemClock, "nina", given).expect("logs in");
    assert!(nina.must_change_password, "the session says so");
    let err = auth::authorize(
        &mut database,
        &SystemClock,
        &mut nina,
        Operation::QueueServe,
    )
    .expect_err("nothing before the change");
    assert_eq!(
        err.code,
        engagement_desk_core::ErrorCode::NotAuthenticated,
        "{}",
        err.message
    );
    auth::change_own_password(
        &mut database,
        &SystemClock,
        &mut nina,
        given,
        "saffron glacier tuba nickel",
    )
    .expect("chooses her own");
    auth::authorize(
        &mut database,
        &SystemClock,
        &mut nina,
        Operation::QueueServe,
    )
    .expect("now allowed");
}

#[test]
fn bad_staff_input_is_refused_with_a_reason_and_nothing_written() {
    let db = TempDb::new();
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &[
                "--username",
                "bob",
                "--name",
                "Bob",
                "--role",
                "janitor",
                "--password-stdin",
            ],
            PASSWORD,
            "role",
        ),
        (
            &[
                "--username",
                "bob",
                "--name",
                "Bob",
                "--role",
                "nurse",
                "--password-stdin",
            ],
            "short\n",
            "12 characters",
        ),
        (
            &[
                "--username",
                "bob",
                "--name",
                "Bob",
                "--role",
                "nurse",
                "--password-stdin",
            ],
            "",
            "password",
        ),
        (
            &[
                "--username",
                "x'; DROP TABLE staff;--",
                "--name",
                "Bob",
                "--role",
                "nurse",
                "--password-stdin",
            ],
            PASSWORD,
            "username",
        ),
    ];
    for (args, input, reason) in cases {
        let mut full = vec!["--db", db_arg(&db), "staff", "add"];
        full.extend_from_slice(args);
        let out = run_cli_with_input(&full, &[], input);
        assert_eq!(out.code, Some(1), "{args:?} is refused: {}", out.stderr);
        assert!(
            out.stderr.contains(reason),
            "{args:?}: the reason names {reason}: {}",
            out.stderr
        );
    }
    let list = run_cli(&["--db", db_arg(&db), "staff", "list"], &[]);
    assert_eq!(
        list.stdout.lines().count(),
        1,
        "only the header: nobody was created\n{}",
        list.stdout
    );
}

#[test]
fn audit_verify_reports_the_first_broken_link() {
    let db = TempDb::new();
    for name in ["ann", "ben", "cat"] {
        let out = run_cli_with_input(
            &[
                "--db",
                db_arg(&db),
                "staff",
                "add",
                "--username",
                name,
                "--name",
                name,
                "--role",
                "nurse",
                "--password-stdin",
            ],
            &[],
            PASSWORD,
        );
        assert_eq!(out.code, Some(0), "{}", out.stderr);
    }
    let ok = run_cli(&["--db", db_arg(&db), "audit", "verify"], &[]);
    assert_eq!(ok.code, Some(0), "an intact chain verifies: {}", ok.stderr);
    assert!(ok.stdout.starts_with("ok"), "{}", ok.stdout);

    {
        let conn = rusqlite::Connection::open(&db.path).expect("database");
        conn.execute_batch(
            "DROP TRIGGER audit_log_refuses_update;
             UPDATE audit_log SET object = 'staff:someone-else' WHERE id = 2;",
        )
        .expect("tamper");
    }
    let broken = run_cli(&["--db", db_arg(&db), "audit", "verify"], &[]);
    assert_eq!(broken.code, Some(1), "a broken chain exits non-zero");
    assert!(
        broken.stderr.contains("entry 2"),
        "the first broken entry is named: {}",
        broken.stderr
    );
}

fn add_staff(db: &TempDb, name: &str) {
    let out = run_cli_with_input(
        &[
            "--db",
            db_arg(db),
            "staff",
            "add",
            "--username",
            name,
            "--name",
            name,
            "--role",
            "nurse",
            "--password-stdin",
        ],
        &[],
        PASSWORD,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn audit_verify_reports_a_log_whose_newest_entries_were_removed() {
    let db = TempDb::new();
    for name in ["ann", "ben", "cat"] {
        add_staff(&db, name);
    }
    let ok = run_cli(&["--db", db_arg(&db), "audit", "verify"], &[]);
    assert_eq!(ok.code, Some(0), "intact and anchored: {}", ok.stderr);
    {
        let conn = rusqlite::Connection::open(&db.path).expect("database");
        conn.execute_batch(
            "DROP TRIGGER audit_log_refuses_delete;
             DELETE FROM audit_log WHERE id > 1;",
        )
        .expect("the newest entries removed");
    }
    let cut = run_cli(&["--db", db_arg(&db), "audit", "verify"], &[]);
    assert_eq!(cut.code, Some(1), "a cut-off log fails: {}", cut.stdout);
    assert!(
        cut.stderr
            .contains("the audit log ends at entry 1 but entry 3 with hash")
            && cut
                .stderr
                .contains("entries were removed or the database was rolled back"),
        "it says where the log ends and what was anchored: {}",
        cut.stderr
    );
}

#[test]
fn audit_verify_reports_a_database_file_put_back_to_an_older_copy() {
    let db = TempDb::new();
    add_staff(&db, "ann");
    let older = db.dir.path().join("older-copy.db");
    std::fs::copy(&db.path, &older).expect("a copy of the file as it was");
    add_staff(&db, "ben");
    add_staff(&db, "cat");
    std::fs::copy(&older, &db.path).expect("the older file put back");
    let rolled_back = run_cli(&["--db", db_arg(&db), "audit", "verify"], &[]);
    assert_eq!(rolled_back.code, Some(1), "{}", rolled_back.stdout);
    assert!(
        rolled_back.stderr.contains("rolled back"),
        "{}",
        rolled_back.stderr
    );
    // Written on after the rollback: the anchored entry now has another hash.
    add_staff(&db, "dee");
    add_staff(&db, "eve");
    let rewritten = run_cli(&["--db", db_arg(&db), "audit", "verify"], &[]);
    assert_eq!(rewritten.code, Some(1), "{}", rewritten.stdout);
    assert!(
        rewritten
            .stderr
            .contains("its hash is not the one anchored for it"),
        "{}",
        rewritten.stderr
    );
}
