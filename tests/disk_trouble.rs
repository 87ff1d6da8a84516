//! Disk trouble: a full disk and a read-only disk give a clear message and never damage the
//! database. The database is put on a small tmpfs mounted in a private mount namespace
//! (`unshare --mount --map-root-user`, so no mount is left behind and no root is needed
//! where user namespaces are allowed).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::fs;
use std::path::Path;
use std::process::Command;

use engagement_desk_tests::{
    assert_database_healthy, binary, drill_database, Acks, TempDb, DRILL_USER, STORY_PASSWORD,
};

/// Run `script` with bash in a private mount namespace; `$BIN`, `$PW`, `$USERNAME`, `$SRC`
/// (a prepared database), `$MNT` (an empty folder to mount on) and `$OUT` (where to leave
/// results) are set.
fn in_private_mounts(script: &str, source_db: &Path, work: &Path) -> String {
    let mount_point = work.join("mnt");
    let out = work.join("out");
    fs::create_dir_all(&mount_point).expect("mount point");
    fs::create_dir_all(&out).expect("results folder");
    let output = Command::new("unshare")
        .args([
            "--mount",
            "--map-root-user",
            "--fork",
            "bash",
            "-euc",
            script,
        ])
        .env("BIN", binary())
        .env("PW", STORY_PASSWORD)
        .env("USERNAME", DRILL_USER)
        .env("SRC", source_db)
        .env("MNT", &mount_point)
        .env("OUT", &out)
        .env_remove("ENGAGEMENT_DESK_DB")
        .output()
        .expect("unshare (util-linux) runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the disk script must run to its end: {stderr}"
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_full_disk_says_so_and_keeps_every_acknowledged_action() {
    let db = TempDb::new();
    drill_database(&db.path);
    let work = tempfile::tempdir().expect("work folder");
    // 600 kB more than the database: some check-ins fit (each commit adds the pages it
    // changed, in every index of the visits, guests and the audit log, to the write-ahead
    // log until a checkpoint), then the disk is full.
    let size_kb = fs::metadata(&db.path).expect("database").len() / 1024 + 600;
    let script = format!(
        r#"
        mount -t tmpfs -o size={size_kb}k tmpfs "$MNT"
        cp "$SRC" "$MNT/engagement-desk.db"
        set +e
        echo "$PW" | "$BIN" --db "$MNT/engagement-desk.db" drill --username "$USERNAME" \
            --password-stdin --count 100000 > "$OUT/acks" 2> "$OUT/error"
        echo $? > "$OUT/exit"
        # A second attempt on the full disk is refused the same way, and changes nothing.
        echo "$PW" | "$BIN" --db "$MNT/engagement-desk.db" drill --username "$USERNAME" \
            --password-stdin --count 5 > "$OUT/acks-again" 2> "$OUT/error-again"
        echo $? > "$OUT/exit-again"
        "$BIN" --db "$MNT/engagement-desk.db" backup --out "$MNT/backup.db" > /dev/null 2> "$OUT/backup-error"
        echo $? > "$OUT/backup-exit"
        ls -a "$MNT" > "$OUT/files"
        set -e
        cp "$MNT"/engagement-desk.db* "$OUT/"
        "#
    );
    in_private_mounts(&script, &db.path, work.path());
    let out = work.path().join("out");

    assert_eq!(
        read(&out.join("exit")).trim(),
        "1",
        "a full disk stops the writer"
    );
    let error = read(&out.join("error"));
    assert!(
        error.contains("[disk_full]")
            && error.contains("disk is full")
            && error.contains("not saved"),
        "the person is told the disk is full and that this was not saved: {error}"
    );
    let mut acks = Acks::parse(&read(&out.join("acks")));
    assert!(
        acks.actions() > 2,
        "some check-ins fit before the disk filled: {acks:?}"
    );
    // Closing the first writer gives back its log's space, so the second may fit a few.
    let again = read(&out.join("error-again"));
    let again_exit = read(&out.join("exit-again"));
    assert!(
        again_exit.trim() == "0" || again.contains("[disk_full]"),
        "a second attempt on the full disk either fits or is refused as a full disk: {again}"
    );
    acks.extend(Acks::parse(&read(&out.join("acks-again"))));
    assert_eq!(
        read(&out.join("backup-exit")).trim(),
        "1",
        "a backup onto a full disk fails"
    );
    let backup_error = read(&out.join("backup-error"));
    assert!(
        backup_error.contains("[disk_full]"),
        "the backup says the disk is full: {backup_error}"
    );
    let files = read(&out.join("files"));
    assert!(
        !files.contains("backup.db") && !files.contains(".partial"),
        "a failed backup leaves no file that looks like a backup: {files}"
    );

    let copy = out.join("engagement-desk.db");
    acks.assert_all_present(&copy, "after the disk filled");
    assert_database_healthy(&copy, "after the disk filled");
}

#[test]
fn a_read_only_disk_is_refused_clearly_and_left_unchanged() {
    let db = TempDb::new();
    drill_database(&db.path);
    let before = fs::read(&db.path).expect("the database bytes");
    let work = tempfile::tempdir().expect("work folder");
    let script = r#"
        mount -t tmpfs -o size=4m tmpfs "$MNT"
        cp "$SRC" "$MNT/engagement-desk.db"
        mount -o remount,ro "$MNT"
        set +e
        echo "$PW" | "$BIN" --db "$MNT/engagement-desk.db" drill --username "$USERNAME" \
            --password-stdin --count 3 > /dev/null 2> "$OUT/write-error"
        echo $? > "$OUT/write-exit"
        "$BIN" --db "$MNT/engagement-desk.db" check > /dev/null 2> "$OUT/check-error"
        echo $? > "$OUT/check-exit"
        set -e
        cp "$MNT/engagement-desk.db" "$OUT/after.db"
        ls -a "$MNT" > "$OUT/files"
    "#;
    in_private_mounts(script, &db.path, work.path());
    let out = work.path().join("out");

    for (what, exit, error) in [
        ("a write", "write-exit", "write-error"),
        ("a check", "check-exit", "check-error"),
    ] {
        assert_eq!(
            read(&out.join(exit)).trim(),
            "1",
            "{what} on a read-only disk fails"
        );
        let message = read(&out.join(error));
        assert!(
            message.contains("[read_only]")
                && message.contains("read-only")
                && message.contains("left unchanged"),
            "{what} says the disk is read-only (not that the database is damaged): {message}"
        );
    }
    assert_eq!(
        fs::read(out.join("after.db")).expect("the database after"),
        before,
        "the database on the read-only disk is byte-for-byte unchanged"
    );
    let files = read(&out.join("files"));
    assert!(
        !files.contains("-wal") && !files.contains("-shm"),
        "nothing was created beside it: {files}"
    );
}
