//! The desk in its real window (release app, tauri-driver, WebKitWebDriver, Xvfb), timed
//! inside the page.
//!
//! Before each timed key the harness injects a probe (`execute_script`): a capture-phase
//! `keydown` listener on the window that reads `performance.now()` when the key arrives,
//! and a `MutationObserver` on the document that reads it again at the first DOM change
//! showing the answer. The harness then sends the key through WebDriver and polls the probe
//! for its two readings; WebDriver's round trips are outside the interval.
//!
//! - **Check-in**: a guest code is typed into the check-in box; once the desk shows it found
//!   the guest ("press Enter to check in"), Enter is timed until the text of the
//!   "Inside now (N)" heading changes. Not timed: the guest is then checked out with the
//!   row's own button (so the building never fills and the list keeps its size), and the
//!   desk is left alone for [`PAUSE`] before the next guest, as between two guests at a door.
//! - **Screens**: Alt+<key> (the navigation's `aria-keyshortcuts`) is timed until an element
//!   that only that screen's loaded data renders is in the DOM; the screens are opened in
//!   navigation order, round after round, each from the one before.

use std::path::Path;
use std::time::{Duration, Instant};

use engagement_desk_core::auth::{self, Role};
use engagement_desk_core::clock::{Clock, SystemClock};
use engagement_desk_core::days::center_day;
use engagement_desk_core::db::Database;
use engagement_desk_core::demo::DemoStaff;
use engagement_desk_core::{visits, AppError};
use rusqlite::Connection;
use thirtyfour::prelude::*;

use crate::startup::AppWindow;
use crate::stats::Samples;

/// How long the desk is left alone between two timed keys.
pub const PAUSE: Duration = Duration::from_millis(250);
/// Untimed rounds first (the web view's caches, the first IPC calls).
pub const WARM_UP: usize = 3;
/// A probe that reads nothing within this long is a failure, not a slow sample.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Guests inside before the timed check-ins begin: a morning at the door.
pub const MORNING: usize = 60;

/// A screen as the harness opens it: navigation label, Alt+<key>, and a CSS selector that
/// matches only once that screen shows its data.
#[derive(Debug, Clone, Copy)]
pub struct ScreenProbe {
    pub label: &'static str,
    pub key: &'static str,
    pub ready: &'static str,
}

/// The screens a supervisor has (everything but Admin), in navigation order.
pub const SCREENS: [ScreenProbe; 7] = [
    ScreenProbe {
        label: "Start",
        key: "1",
        ready: "[data-testid=schema-version]",
    },
    ScreenProbe {
        label: "Front desk",
        key: "2",
        ready: "[data-testid=day-counts]",
    },
    ScreenProbe {
        label: "Showers & workstations",
        key: "3",
        ready: "[data-testid=board]",
    },
    ScreenProbe {
        label: "Nurse queue",
        key: "4",
        ready: "[data-testid=stations]",
    },
    ScreenProbe {
        label: "Referrals",
        key: "5",
        ready: "#follow-heading",
    },
    ScreenProbe {
        label: "Reports",
        key: "6",
        ready: "[data-testid=report-summary]",
    },
    ScreenProbe {
        label: "Audit log",
        key: "8",
        ready: "[data-testid=audit-count]",
    },
];

/// Who logs in, and what is done.
pub struct Plan<'a> {
    pub desk: (&'a str, &'a str),
    pub supervisor: (&'a str, &'a str),
    /// Codes of guests who can be checked in (as typed at the desk); one per check-in.
    pub codes: &'a [String],
    /// Rounds through every screen.
    pub screen_rounds: usize,
}

/// One database's figures.
pub struct WindowFigures {
    pub check_in: Samples,
    /// In the order of [`SCREENS`].
    pub screens: Vec<Samples>,
}

/// Start the app on `db`, log in as the desk and time the check-ins, log out, log in as the
/// supervisor and time the screens; then close the window.
pub async fn measure(app: &Path, db: &Path, plan: &Plan<'_>) -> Result<WindowFigures, String> {
    let window = AppWindow::open(app, &["--db".to_string(), db.display().to_string()]).await?;
    // A large database is read through once in the background after the first screen;
    // that is start-up (see README), not the desk, so the timing starts after it.
    let outcome = match window.wait_until_quiet(Duration::from_secs(180)).await {
        Ok(waited) => {
            eprintln!(
                "bench:     the app was busy starting for {:.0} s",
                waited.as_secs_f64()
            );
            drive(&window.driver, plan).await
        }
        Err(err) => Err(err),
    };
    let outcome = match outcome {
        Ok(figures) => Ok(figures),
        Err(err) => {
            let page = page_text(&window.driver).await;
            Err(format!(
                "{err}\n--- the page shows ---\n{page}\n--- drivers' log ---\n{}",
                window.log()
            ))
        }
    };
    window.close().await;
    outcome
}

async fn drive(driver: &WebDriver, plan: &Plan<'_>) -> Result<WindowFigures, String> {
    wait_for(driver, "#login-username").await?;
    log_in(driver, plan.desk).await?;
    press(driver, Key::Alt + "2").await?;
    wait_for(driver, "#desk-box").await?;
    wait_for(driver, "[data-testid=day-counts]").await?;
    sleep(PAUSE).await;

    let mut check_in = Samples::default();
    for (round, code) in plan.codes.iter().enumerate() {
        let took = check_in_once(driver, code)
            .await
            .map_err(|err| format!("check-in {} ({code}): {err}", round + 1))?;
        if round >= WARM_UP {
            check_in.push(took);
        }
    }
    eprintln!(
        "bench:     check-in: p50 {:.1} ms, p99 {:.1} ms over {}",
        check_in.p50_us() / 1000.0,
        check_in.p99_us() / 1000.0,
        plan.codes.len().saturating_sub(WARM_UP)
    );

    click(driver, "//header//button[normalize-space(.)='Log out']").await?;
    wait_for(driver, "#login-username").await?;
    log_in(driver, plan.supervisor).await?;
    // A supervisor starts on the Start screen: every round opens the others in order and
    // comes back to it.
    wait_for(driver, SCREENS[0].ready).await?;
    if std::env::var_os("BENCH_TRACE").is_some() {
        trace_commands(driver).await;
    }
    let mut screens = vec![Samples::default(); SCREENS.len()];
    for round in 0..plan.screen_rounds + 1 {
        for step in 1..=SCREENS.len() {
            let index = step % SCREENS.len();
            let screen = SCREENS[index];
            let took = open_screen(driver, screen)
                .await
                .map_err(|err| format!("opening {} (round {round}): {err}", screen.label))?;
            // The first round warms up.
            if round > 0 {
                screens[index].push(took);
            }
        }
    }
    for (screen, samples) in SCREENS.iter().zip(&screens) {
        eprintln!(
            "bench:     {}: p50 {:.1} ms, p99 {:.1} ms",
            screen.label,
            samples.p50_us() / 1000.0,
            samples.p99_us() / 1000.0
        );
    }
    Ok(WindowFigures { check_in, screens })
}

/// One check-in: type the code, wait until the desk found the guest, time Enter until the
/// "Inside now" heading changes; then (untimed) check the guest out again.
async fn check_in_once(driver: &WebDriver, code: &str) -> Result<Duration, String> {
    let input = driver
        .find(By::Css("#desk-box"))
        .await
        .map_err(|err| format!("no check-in box: {err}"))?;
    input
        .send_keys(code)
        .await
        .map_err(|err| format!("typing: {err}"))?;
    wait_for_script(
        driver,
        "const found = document.querySelector('[data-testid=lookup-exact]'); \
         return !!found && found.textContent.includes('press Enter');",
        serde_json::json!([]),
        "the desk to find the guest",
        TIMEOUT,
    )
    .await?;
    let before = arm(driver, "Enter", false, None).await?;
    input
        .send_keys(Key::Enter)
        .await
        .map_err(|err| format!("Enter: {err}"))?;
    let took = read_probe(driver).await?;

    // Out again (untimed), with the row's own button once the desk is idle (a click while
    // it is still busy with the check-in is ignored, as it is for a person), and wait for
    // the heading to say so.
    sleep(PAUSE).await;
    check_out(driver, code, &before).await?;
    sleep(PAUSE).await;
    Ok(took)
}

/// Click the Check out button of `code`'s row until the heading reads `before` again.
async fn check_out(driver: &WebDriver, code: &str, before: &str) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let clicked = driver
            .execute(
                "const code = arguments[0]; \
                 for (const row of document.querySelectorAll('[data-testid=inside-table] tbody tr')) { \
                   if (row.querySelector('.code')?.textContent === code) { \
                     row.querySelector('button').click(); return true; } } \
                 return false;",
                vec![serde_json::json!(code)],
            )
            .await
            .map_err(|err| format!("checking out: {err}"))?;
        let out = wait_for_script(
            driver,
            "return document.getElementById('inside-heading')?.textContent === arguments[0];",
            serde_json::json!([before]),
            "the check-out",
            Duration::from_secs(2),
        )
        .await;
        match out {
            Ok(()) => return Ok(()),
            Err(err) if started.elapsed() > TIMEOUT => {
                return Err(if clicked.json() == &serde_json::json!(true) {
                    err
                } else {
                    format!("{code} is not in the inside list after the check-in")
                })
            }
            Err(_) => {}
        }
    }
}

/// Open `screen` with its Alt+<key> and time it until its data is shown.
async fn open_screen(driver: &WebDriver, screen: ScreenProbe) -> Result<Duration, String> {
    arm(driver, screen.key, true, Some(screen.ready)).await?;
    press(driver, Key::Alt + screen.key).await?;
    let took = read_probe(driver).await?;
    sleep(PAUSE).await;
    Ok(took)
}

/// Install the probe for the next `key` (with Alt or not). With `ready`, the probe ends
/// when that selector matches; without, when the "Inside now" heading's text changes.
/// Returns the heading's text before.
async fn arm(
    driver: &WebDriver,
    key: &str,
    alt: bool,
    ready: Option<&str>,
) -> Result<String, String> {
    let script = r#"
        const [key, alt, ready] = arguments;
        const heading = () => document.getElementById('inside-heading')?.textContent ?? null;
        const before = heading();
        if (ready !== null && document.querySelector(ready) !== null) {
          throw new Error(`${ready} is already shown before the key`);
        }
        const shown = () => ready !== null ? document.querySelector(ready) !== null : heading() !== before;
        const probe = { start: null, end: null };
        window.__benchProbe = probe;
        // The commands the page sends show as resource timings (BENCH_TRACE).
        performance.clearResourceTimings();
        const observer = new MutationObserver(() => {
          if (probe.start !== null && probe.end === null && shown()) {
            probe.end = performance.now();
            observer.disconnect();
          }
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
        const onKey = (event) => {
          if (event.key === key && event.altKey === alt && probe.start === null) {
            probe.start = performance.now();
            window.removeEventListener('keydown', onKey, true);
          }
        };
        window.addEventListener('keydown', onKey, true);
        return before;
    "#;
    let before = driver
        .execute(
            script,
            vec![
                serde_json::json!(key),
                serde_json::json!(alt),
                serde_json::json!(ready),
            ],
        )
        .await
        .map_err(|err| format!("the probe: {err}"))?;
    Ok(before.json().as_str().unwrap_or_default().to_string())
}

/// The probe's interval, once both readings are in.
async fn read_probe(driver: &WebDriver) -> Result<Duration, String> {
    let started = Instant::now();
    loop {
        let probe = driver
            .execute(
                "const probe = window.__benchProbe; \
                 return probe && { ...probe, calls: performance.getEntriesByType('resource') \
                   .map((e) => [e.name.replace(/^.*\\//, ''), e.startTime, e.responseEnd]) };",
                Vec::new(),
            )
            .await
            .map_err(|err| format!("reading the probe: {err}"))?;
        let value = probe.json();
        if let (Some(start), Some(end)) = (value["start"].as_f64(), value["end"].as_f64()) {
            if std::env::var_os("BENCH_TRACE").is_some() {
                let calls: Vec<String> = value["calls"]
                    .as_array()
                    .map(|calls| {
                        calls
                            .iter()
                            .map(|call| {
                                let at = |i: usize| {
                                    call[i]
                                        .as_f64()
                                        .map_or("?".into(), |t| format!("{:.0}", t - start))
                                };
                                format!("{} {}..{}", call[0].as_str().unwrap_or("?"), at(1), at(2))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                eprintln!("bench:       {:.0} ms: {}", end - start, calls.join(", "));
            }
            return Duration::try_from_secs_f64((end - start).max(0.0) / 1000.0)
                .map_err(|err| format!("the probe's reading: {err}"));
        }
        if started.elapsed() > TIMEOUT {
            return Err(format!(
                "the answer was not shown within {TIMEOUT:?} (probe: {value})"
            ));
        }
        sleep(Duration::from_millis(5)).await;
    }
}

async fn log_in(driver: &WebDriver, (username, password): (&str, &str)) -> Result<(), String> {
    let fail = |err: WebDriverError| format!("logging in as {username}: {err}");
    driver
        .find(By::Css("#login-username"))
        .await
        .map_err(fail)?
        .send_keys(username)
        .await
        .map_err(fail)?;
    let field = driver
        .find(By::Css("#login-password"))
        .await
        .map_err(fail)?;
    field.send_keys(password).await.map_err(fail)?;
    field.send_keys(Key::Enter).await.map_err(fail)?;
    wait_for(driver, "[data-testid=signed-in-as]").await
}

/// Keys to whatever has the focus, as a person types them.
async fn press(driver: &WebDriver, keys: impl Into<TypingData>) -> Result<(), String> {
    driver
        .active_element()
        .await
        .map_err(|err| format!("nothing has the focus: {err}"))?
        .send_keys(keys)
        .await
        .map_err(|err| format!("keys: {err}"))
}

async fn click(driver: &WebDriver, xpath: &str) -> Result<(), String> {
    driver
        .find(By::XPath(xpath))
        .await
        .map_err(|err| format!("{xpath}: {err}"))?
        .click()
        .await
        .map_err(|err| format!("clicking {xpath}: {err}"))
}

async fn wait_for(driver: &WebDriver, css: &str) -> Result<(), String> {
    wait_for_script(
        driver,
        "return document.querySelector(arguments[0]) !== null;",
        serde_json::json!([css]),
        css,
        TIMEOUT,
    )
    .await
}

/// Poll `script` (with `args`) until it returns true.
async fn wait_for_script(
    driver: &WebDriver,
    script: &str,
    args: serde_json::Value,
    what: &str,
    within: Duration,
) -> Result<(), String> {
    let args: Vec<serde_json::Value> = args.as_array().cloned().unwrap_or_default();
    let started = Instant::now();
    loop {
        let done = driver
            .execute(script, args.clone())
            .await
            .map_err(|err| format!("waiting for {what}: {err}"))?;
        if done.json() == &serde_json::json!(true) {
            return Ok(());
        }
        if started.elapsed() > within {
            return Err(format!("waited {within:?} for {what}"));
        }
        sleep(Duration::from_millis(10)).await;
    }
}

async fn page_text(driver: &WebDriver) -> String {
    match driver.find(By::Tag("body")).await {
        Ok(body) => body.text().await.unwrap_or_default(),
        Err(err) => format!("(no page: {err})"),
    }
}

async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Get a demo database ready for the window, before the app opens it: the demo's last day
/// settled (it is over when the bench runs); the building's capacity raised (through the
/// core, as a supervisor) when the morning's guests and a few more would not fit below the
/// warning level; today's backup made, as the app makes it at its first start of a day;
/// [`MORNING`] guests checked in (as the front desk); and the codes of `how_many` more
/// guests the desk can check in now (`ops::guests_to_admit`).
pub fn prepare(path: &Path, staff: &[DemoStaff], how_many: usize) -> Result<Vec<String>, String> {
    let fail = |what: &'static str| move |err: AppError| format!("{what}: {}", err.message);
    let clock = SystemClock;
    let mut db = Database::open(path).map_err(fail("open"))?;
    // The demo's last day is over by the time the bench runs: the app settles it at its
    // first action (nobody from it is inside today), so do that first.
    visits::settle_earlier_days(&mut db, &clock).map_err(fail("settle"))?;
    let today = center_day(&db, clock.now()).map_err(fail("today"))?.1;
    let sampler = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|err| err.to_string())?;
    let login = |db: &mut Database, role: Role| {
        let account = staff
            .iter()
            .find(|account| account.role == role)
            .ok_or("the demo has no account of that role")?;
        auth::login(db, &clock, &account.username, &account.password)
            .map_err(|err| format!("login: {}", err.message))
    };
    // Room for the morning's guests and a few more, below the warning level (90 %).
    let needed = u32::try_from(MORNING + 2).unwrap_or(u32::MAX) * 10 / 8;
    if visits::capacity(&db).map_err(fail("capacity"))? < needed {
        let mut session = login(&mut db, Role::Supervisor)?;
        visits::set_capacity(&mut db, &clock, &mut session, &needed.to_string())
            .map_err(fail("capacity"))?;
    }
    engagement_desk_core::backup::automatic_backup(
        &mut db,
        &clock,
        engagement_desk_core::backup::Occasion::Start,
    )
    .map_err(fail("the day's backup"))?;
    let mut guests = crate::ops::guests_to_admit(&sampler, &today.to_string(), how_many + MORNING)?;
    if guests.len() < how_many + MORNING {
        return Err(format!("only {} guests can be checked in", guests.len()));
    }
    // A busy morning: these guests are inside when the timed check-ins begin, so each one
    // adds a row to a full "Inside now" list, as at the door.
    let mut desk = login(&mut db, Role::FrontDesk)?;
    for (guest_id, _) in guests.split_off(how_many) {
        visits::check_in(&mut db, &clock, &mut desk, guest_id, false)
            .map_err(fail("the morning's check-ins"))?;
    }
    // As typed at the desk, with the dash.
    Ok(guests
        .into_iter()
        .map(|(_, code)| format!("{}-{}", &code[..3], &code[3..]))
        .collect())
}

/// The target of every window row: p99 under this many milliseconds.
pub const P99_UNDER_MS: f64 = 50.0;

/// The window's rows (Markdown), one column pair per database, and how many of their
/// targets were missed.
pub fn table(figures: &[(u32, WindowFigures)]) -> (String, usize) {
    let mut out = String::new();
    let mut header = "| in the window (release app), timed in the page".to_string();
    let mut rule = "|---".to_string();
    for (years, _) in figures {
        header.push_str(&format!(" | {years}y p50 ms | {years}y p99 ms"));
        rule.push_str("|---:|---:");
    }
    out.push_str(&header);
    out.push_str(" | samples | target | result |\n");
    out.push_str(&rule);
    out.push_str("|---:|---|---|\n");
    let mut missed = 0;
    let mut row = |name: String, pick: &dyn Fn(&WindowFigures) -> &Samples| {
        let mut cells = String::new();
        let mut ok = true;
        let mut counts = Vec::new();
        for (_, figures) in figures {
            let samples = pick(figures);
            let (p50, p99) = (samples.p50_us() / 1000.0, samples.p99_us() / 1000.0);
            ok &= p99 < P99_UNDER_MS;
            cells.push_str(&format!(" | {p50:.1} | {p99:.1}"));
            counts.push(samples.len().to_string());
        }
        counts.dedup();
        missed += usize::from(!ok);
        out.push_str(&format!(
            "| {name}{cells} | {} | p99 < {P99_UNDER_MS:.0} ms | {} |\n",
            counts.join("/"),
            if ok { "met" } else { "MISSED" }
        ));
    };
    row(
        "check in: Enter in the box to the “Inside now” heading changed".to_string(),
        &|f| &f.check_in,
    );
    for (index, screen) in SCREENS.iter().enumerate() {
        row(
            format!(
                "open {} (Alt+{}) to its data shown",
                screen.label, screen.key
            ),
            &move |f: &WindowFigures| &f.screens[index],
        );
    }
    (out, missed)
}

/// BENCH_TRACE: each screen's commands alone, sent from the page (IPC and core, no drawing).
async fn trace_commands(driver: &WebDriver) {
    let today = driver
        .execute(
            "return window.__TAURI_INTERNALS__.invoke('desk_today').then((d) => d.serviceDate);",
            Vec::new(),
        )
        .await
        .map(|r| r.json().as_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    let commands = [
        ("desk_today", serde_json::json!({})),
        ("referrals_today", serde_json::json!({})),
        ("schedule_board", serde_json::json!({ "kind": "shower" })),
        ("queue_nurse_view", serde_json::json!({})),
        ("small_cell_threshold", serde_json::json!({})),
        (
            "report_counts",
            serde_json::json!({ "from": today, "to": today }),
        ),
        (
            "view_audit_log",
            serde_json::json!({ "query": { "from": "", "to": "", "actor": "", "action": "" } }),
        ),
    ];
    for (command, args) in commands {
        let mut readings = Vec::new();
        for _ in 0..5 {
            let answer = driver
                .execute_async(
                    "const [cmd, args, done] = arguments; const t0 = performance.now(); \
                     window.__TAURI_INTERNALS__.invoke(cmd, args).then( \
                       (r) => done([performance.now() - t0, JSON.stringify(r).length]), \
                       (e) => done([-1, JSON.stringify(e)]));",
                    vec![serde_json::json!(command), args.clone()],
                )
                .await
                .map(|r| r.json().to_string())
                .unwrap_or_else(|err| err.to_string());
            readings.push(answer);
        }
        eprintln!("bench:       {command}: {}", readings.join(" "));
    }
}
