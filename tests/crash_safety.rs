//! Crash safety: the real binary checks guests in and out as fast as it can and is killed
//! with SIGKILL at random moments, again and again, on one database. Every action it
//! acknowledged before the kill must be there afterwards, and the database must pass
//! `integrity_check` and the audit-chain check after every kill.
//!
//! The moments are drawn from a fixed seed (set `CRASH_SEED` to try others); where in its
//! work each kill lands still varies from run to run, which is the point.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failure is a test failure

use std::io::Read;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use engagement_desk_tests::{assert_database_healthy, drill_database, spawn_drill, Acks, TempDb};

const ROUNDS: u32 = 30;

/// A small deterministic generator (xorshift64*): the kill moments of a run.
struct Moments(u64);

impl Moments {
    fn next_below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % bound
    }
}

#[test]
fn acknowledged_actions_survive_sigkill_at_random_moments() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x5EED_CAFE_u64);
    let mut moments = Moments(seed);
    let db = TempDb::new();
    drill_database(&db.path);

    let mut acknowledged = Acks::default();
    let mut killed_while_working = 0;
    for round in 1..=ROUNDS {
        let context = format!("round {round} (CRASH_SEED={seed})");
        let mut child = spawn_drill(&db.path, 1_000_000);
        let mut stdout = child.stdout.take().expect("stdout");
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buffer = [0u8; 4096];
            let mut told = false;
            while let Ok(read) = stdout.read(&mut buffer) {
                if read == 0 {
                    break;
                }
                seen.extend_from_slice(&buffer[..read]);
                if !told && seen.windows(6).any(|window| window == b"ready\n") {
                    told = true;
                    let _ = ready_tx.send(());
                }
            }
            String::from_utf8_lossy(&seen).into_owned()
        });
        // Every third round is killed early, wherever it is (opening, migrating, logging
        // in); the others once the writing has started.
        if round % 3 != 0 {
            ready_rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("{context}: the drill never became ready"));
        }
        thread::sleep(Duration::from_millis(moments.next_below(300)));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("the killed drill is reaped");
        let output = reader.join().expect("the reader thread");
        if !status.success() {
            killed_while_working += 1;
        }
        let acks = Acks::parse(&output);
        acknowledged.extend(acks);
        acknowledged.assert_all_present(&db.path, &context);
        assert_database_healthy(&db.path, &context);
    }
    assert!(
        killed_while_working >= ROUNDS - 1,
        "the drill must be killed mid-work, not finish: {killed_while_working} of {ROUNDS} were"
    );
    assert!(
        acknowledged.actions() > 0,
        "the drill must have acknowledged actions before the kills"
    );
    println!(
        "{} acknowledged actions over {ROUNDS} kills (seed {seed}): all present",
        acknowledged.actions()
    );
}
