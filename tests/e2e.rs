//! End-to-end: the real app window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver. Each test has its own temporary database.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use engagement_desk_tests::e2e::{Desk, E2E_CLOCK_START};
use engagement_desk_tests::TempDb;
use thirtyfour::prelude::*;

const ADMIN_PASSWORD: &str = "orchard lantern pebble violin";
const DESK_PASSWORD: &str = "copper meadow thistle rocket";

#[tokio::test]
async fn the_app_starts_creates_its_database_and_asks_for_the_first_administrator() {
    let db = TempDb::new();
    let desk = Desk::launch(&db.path).await;

    let title = desk.find("h1").await.text().await.expect("title text");
    assert_eq!(title, "Engagement Desk", "the window shows the app's name");
    desk.wait_for_text("[data-testid=db-state]", "Database ready")
        .await;
    desk.wait_for_text("h2", "Create the first administrator")
        .await;
    let shown_path = desk
        .find("[data-testid=database-path]")
        .await
        .text()
        .await
        .expect("path");
    assert_eq!(
        shown_path,
        db.path.display().to_string(),
        "the app uses the database from ENGAGEMENT_DESK_DB"
    );
    assert!(
        db.path.exists(),
        "the database file was created on first start"
    );
    let focused = desk.focused().await;
    assert!(
        focused.starts_with("input#first-username"),
        "the first field has the focus: {focused}"
    );
    let nav = desk.driver.find_all(By::Css("nav")).await.expect("query");
    assert!(
        nav.is_empty(),
        "nothing but the first-run form before anyone is logged in"
    );
    desk.screenshot("first-run").await;
    desk.close().await;
}

#[tokio::test]
async fn first_administrator_logout_wrong_password_and_login() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;

    assert_eq!(
        desk.nav_labels().await,
        vec!["Start", "Admin", "Audit log"],
        "an administrator sees no guest screens"
    );
    let schema = desk
        .find("[data-testid=schema-version]")
        .await
        .text()
        .await
        .expect("schema");
    assert!(
        schema.parse::<u32>().expect("a number") >= 2,
        "the schema version is shown: {schema}"
    );
    let zone = desk
        .find("[data-testid=time-zone]")
        .await
        .text()
        .await
        .expect("zone");
    assert_eq!(
        zone, "America/New_York",
        "the seeded time zone comes from the database"
    );
    desk.screenshot("first-screen").await;

    desk.click_button("Log out").await;
    desk.log_in("avery", "not the password at all").await;
    let banner = desk.wait_for_text("[role=alert]", "not right").await;
    assert!(
        banner.contains("not_authenticated"),
        "the code is shown: {banner}"
    );
    desk.log_in("nobody", ADMIN_PASSWORD).await;
    let unknown = desk.wait_for_text("[role=alert]", "not right").await;
    assert_eq!(
        banner, unknown,
        "an unknown user gets the same message as a wrong password"
    );

    desk.log_in("avery", ADMIN_PASSWORD).await;
    desk.wait_for_text("[data-testid=signed-in-as]", "Avery Admin")
        .await;
    desk.close().await;
}

#[tokio::test]
async fn screens_are_reachable_from_the_keyboard_and_focus_follows() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;

    // Alt+7 jumps to Admin; the focus lands on the screen's heading.
    desk.open_screen("7", "Admin").await;
    let focused = desk.focused().await;
    assert!(
        focused.starts_with("h2#screen-title"),
        "focus moves to the new screen's heading: {focused}"
    );
    // Alt+2 is the front desk, which an administrator cannot use: nothing happens.
    desk.open_screen("2", "Admin").await;

    // Tab from the top: the skip link, Lock screen, Log out, then the navigation; Enter
    // activates.
    desk.driver
        .execute(
            "document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);",
            Vec::new(),
        )
        .await
        .expect("reset focus");
    desk.press(Key::Tab).await;
    let skip = desk.focused().await;
    assert!(
        skip.contains("Skip to main content"),
        "the first Tab stop is the skip link: {skip}"
    );
    desk.press(Key::Tab).await;
    assert!(
        desk.focused().await.contains("Lock screen"),
        "then the lock button"
    );
    desk.press(Key::Tab).await;
    assert!(
        desk.focused().await.contains("Log out"),
        "then the log-out button"
    );
    desk.press(Key::Tab).await;
    let first_nav = desk.focused().await;
    assert!(
        first_nav.starts_with("button#nav-start"),
        "then the first screen: {first_nav}"
    );
    desk.press(Key::Enter).await;
    desk.wait_for_text("#screen-title", "Start").await;
    let current = desk
        .find("nav button[aria-current=page]")
        .await
        .text()
        .await
        .expect("current");
    assert!(
        current.starts_with("Start"),
        "the navigation marks the current screen: {current}"
    );
    desk.close().await;
}

#[tokio::test]
async fn an_admin_creates_a_front_desk_account_that_sees_only_front_desk_screens() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;

    desk.create_account("fran", "Fran <b>Desk</b>", "front_desk", DESK_PASSWORD)
        .await;
    let table = desk.wait_for_text("table", "fran").await;
    assert!(
        table.contains("Fran <b>Desk</b>"),
        "names from the database are shown as text, not HTML: {table}"
    );
    desk.screenshot("staff-admin").await;

    desk.click_button("Log out").await;
    desk.log_in("fran", DESK_PASSWORD).await;
    desk.wait_for_text("[data-testid=signed-in-as]", "Fran <b>Desk</b>")
        .await;
    assert_eq!(
        desk.nav_labels().await,
        vec![
            "Start",
            "Front desk",
            "Showers & workstations",
            "Nurse queue",
            "Referrals"
        ],
        "front desk sees only front-desk screens"
    );
    desk.close().await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.click_button("Log out").await;
    for attempt in 1..=5 {
        desk.log_in("avery", &format!("wrong guess number {attempt}"))
            .await;
        desk.wait_for_text("[role=alert]", "not right").await;
    }
    desk.log_in("avery", ADMIN_PASSWORD).await;
    let banner = desk.wait_for_text("[role=alert]", "locked").await;
    assert!(
        banner.contains("15 minutes") || banner.contains("minutes"),
        "the message says for how long: {banner}"
    );
    desk.close().await;
}

#[tokio::test]
async fn a_file_that_is_not_a_database_shows_a_clear_error_and_is_left_alone() {
    let db = TempDb::new();
    std::fs::write(&db.path, "these are meeting notes, not a database\n").expect("text file");
    let desk = Desk::launch(&db.path).await;

    let banner = desk
        .wait_for_text("[role=alert]", "not an Engagement Desk database")
        .await;
    assert!(
        banner.contains("not_engagement_desk_database"),
        "the banner shows the error code: {banner}"
    );
    assert!(
        banner.contains(&db.path.display().to_string()),
        "the banner names the file: {banner}"
    );
    desk.wait_for_text("[data-testid=db-state]", "Database problem")
        .await;
    let advice = desk
        .find("[data-testid=database-problem]")
        .await
        .text()
        .await
        .expect("advice");
    assert!(
        advice.contains("left unchanged"),
        "the screen explains the problem: {advice}"
    );
    desk.screenshot("not-a-database").await;

    // Escape dismisses the banner; the explanation on the screen stays.
    desk.press(Key::Escape).await;
    let gone = desk
        .driver
        .find_all(By::Css("[role=alert]"))
        .await
        .expect("query");
    assert!(gone.is_empty(), "Escape dismisses the error banner");
    desk.close().await;

    assert_eq!(
        std::fs::read_to_string(&db.path).expect("still there"),
        "these are meeting notes, not a database\n",
        "the app never modifies a file that is not its database"
    );
}

#[tokio::test]
async fn a_database_path_in_a_missing_folder_shows_an_error_instead_of_crashing() {
    let db = TempDb::new();
    let missing = db.dir.path().join("no-such-folder").join("desk.db");
    let desk = Desk::launch(&missing).await;

    let banner = desk.wait_for_text("[role=alert]", "desk.db").await;
    assert!(
        banner.contains("storage"),
        "the banner shows the code: {banner}"
    );
    let title = desk.find("h1").await.text().await.expect("title");
    assert_eq!(
        title, "Engagement Desk",
        "the window is up despite the bad path"
    );
    desk.close().await;
    assert!(
        !missing.parent().expect("parent").exists(),
        "no folder is created for a mistyped path"
    );
}

#[tokio::test]
async fn an_admin_changes_roles_and_resets_a_password_and_a_supervisor_reads_the_audit_log() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Shift", "front_desk", DESK_PASSWORD)
        .await;

    desk.click_button("Edit sam").await;
    desk.wait_for_text("#edit-heading", "Edit sam").await;
    let focused = desk.focused().await;
    assert!(
        focused.contains("#edit-heading"),
        "the keyboard lands on the edit panel: {focused}"
    );
    desk.find("#edit-heading ~ form input[value=supervisor]")
        .await
        .click()
        .await
        .expect("role");
    desk.click_button("Save roles").await;
    desk.wait_for_text(
        "[role=status]",
        "sam now has the roles: front desk, supervisor",
    )
    .await;
    desk.type_into(
        "New password for sam (at least 12 characters; they choose their own at next login)",
        "short",
    )
    .await;
    desk.click_button("Reset password").await;
    desk.wait_for_text("[role=alert]", "at least 12").await;
    desk.type_into(
        "New password for sam (at least 12 characters; they choose their own at next login)",
        "temporary walnut harbor kite",
    )
    .await;
    desk.click_button("Reset password").await;
    desk.wait_for_text("[role=status]", "must choose their own")
        .await;
    desk.password_was_reset("sam");
    desk.wait_for_text("table", "must change password").await;
    desk.screenshot("staff-edit").await;

    desk.click_button("Log out").await;
    desk.log_in("sam", "temporary walnut harbor kite").await;
    desk.wait_for_text("h2", "Choose a new password").await;
    desk.type_into("Current password", "temporary walnut harbor kite")
        .await;
    desk.type_into(
        "New password (at least 12 characters)",
        "lighthouse gravel saffron tundra",
    )
    .await;
    desk.type_into("New password again", "lighthouse gravel saffron tundra")
        .await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("#screen-title", "Start").await;
    let labels = desk.nav_labels().await;
    assert!(
        labels.contains(&"Audit log".to_string()),
        "a supervisor sees the audit log: {labels:?}"
    );

    desk.open_screen("8", "Audit log").await;
    desk.wait_for_text("[data-testid=audit-table]", "staff.set_roles")
        .await;
    let action = desk.field("Action").await;
    action.click().await.expect("open the list");
    desk.find("#audit-action option[value='staff.reset_password']")
        .await
        .click()
        .await
        .expect("choose");
    desk.click_button("Show entries").await;
    desk.wait_for_text("[data-testid=audit-count]", "1 entry")
        .await;
    let table = desk
        .wait_for_text("[data-testid=audit-table]", "staff:sam")
        .await;
    assert!(
        table.contains("staff:avery") && !table.contains("staff.set_roles"),
        "only the password reset, done by the administrator: {table}"
    );
    desk.type_into("From (YYYY-MM-DD)", "2026-02-30").await;
    desk.click_button("Show entries").await;
    desk.wait_for_text("[role=alert]", "from:").await;
    desk.click_button("Clear filters").await;
    desk.wait_for_text("[data-testid=audit-table]", "staff.set_roles")
        .await;
    desk.click_button("Verify the audit log").await;
    desk.wait_for_text("[data-testid=verify-result]", "intact")
        .await;
    desk.screenshot("audit-log").await;

    desk.click_button("Log out").await;
    desk.log_in("avery", ADMIN_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
    desk.open_screen("7", "Admin").await;
    desk.wait_for_text("table", "sam").await;
    desk.click_button("Disable sam").await;
    desk.wait_for_text("[role=status]", "sam is now disabled")
        .await;
    desk.click_button("Log out").await;
    desk.log_in("sam", "lighthouse gravel saffron tundra").await;
    desk.wait_for_text("[role=alert]", "disabled").await;
    desk.close().await;
}

#[tokio::test]
async fn an_idle_screen_locks_and_the_same_person_unlocks_or_another_switches_user() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.type_into("Lock idle screens after (minutes, 1 to 60)", "0")
        .await;
    desk.click_button("Save idle lock").await;
    desk.wait_for_text("[role=alert]", "from 1 to 60").await;
    desk.type_into("Lock idle screens after (minutes, 1 to 60)", "1")
        .await;
    desk.click_button("Save idle lock").await;
    desk.wait_for_text("[role=status]", "after 1 idle minute")
        .await;

    // Nobody touches the computer for a minute (the window checks every few seconds).
    tokio::time::sleep(std::time::Duration::from_secs(62)).await;
    desk.wait_for_text("h2", "Screen locked").await;
    // Nothing that was on the screen is behind the cover, and the same person comes back
    // to where they were.
    let page = desk.page_text().await;
    assert!(
        !page.contains("Staff accounts"),
        "the previous screen is covered: {page}"
    );
    desk.screenshot("idle-lock").await;
    desk.type_into("Password for avery", "not the right one at all")
        .await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("[role=alert]", "not right").await;
    desk.type_into("Password for avery", ADMIN_PASSWORD).await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("#screen-title", "Admin").await;

    // The lock holds in Rust. Someone keeps the window's own timer happy (a key now and
    // then) while the staff list is reloaded every ten seconds, as screens do by themselves
    // on timers and change events; no person's action reaches Rust for over a minute.
    let started = std::time::Instant::now();
    let refused = loop {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        desk.press(Key::Shift).await;
        let reload = desk.invoke("list_staff", serde_json::json!({})).await;
        if let Err(err) = reload {
            break err;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(80),
            "reloads kept the session awake past the idle minute"
        );
    };
    assert!(
        started.elapsed() > std::time::Duration::from_secs(55),
        "not before the idle minute: {:?}",
        started.elapsed()
    );
    assert_eq!(
        refused["code"], "not_authenticated",
        "Rust locked the session itself: {refused}"
    );
    assert_eq!(
        desk.find("h2#screen-title")
            .await
            .text()
            .await
            .expect("title"),
        "Admin",
        "the window's own timer saw the keys and did not lock"
    );
    // The next thing the person does is refused, and the window shows the lock at once.
    desk.type_into("Lock idle screens after (minutes, 1 to 60)", "5")
        .await;
    desk.click_button("Save idle lock").await;
    desk.wait_for_text("h2", "Screen locked").await;
    desk.type_into("Password for avery", ADMIN_PASSWORD).await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("#screen-title", "Admin").await;

    desk.click_button("Lock screen").await;
    desk.wait_for_text("h2", "Screen locked").await;
    desk.click_button("Switch user").await;
    desk.wait_for_text("h2", "Log in").await;
    assert!(
        !desk.page_text().await.contains("Avery Admin"),
        "switching user leaves nothing of the previous person on screen"
    );
    desk.close().await;
}

/// Log in as a new front-desk account and open the front desk.
async fn front_desk_session(desk: &Desk) {
    desk.open_screen("7", "Admin").await;
    desk.create_account("fran", "Fran Desk", "front_desk", DESK_PASSWORD)
        .await;
    desk.click_button("Log out").await;
    desk.log_in("fran", DESK_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
    desk.open_screen("2", "Front desk").await;
}

#[tokio::test]
async fn the_front_desk_registers_and_checks_guests_in_by_code_and_nickname() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    front_desk_session(&desk).await;
    let focused = desk.focused().await;
    assert!(
        focused.starts_with("input#desk-box"),
        "the box has the keyboard at once: {focused}"
    );
    desk.wait_for_text("[data-testid=occupancy]", "0 of 60 inside")
        .await;

    // A new guest: Alt+N, a nickname, Enter.
    desk.press(Key::Alt + "n").await;
    desk.wait_for_text("#register-heading", "New guest").await;
    desk.type_into("Nickname", "Sunny <i>D</i>").await;
    desk.press(Key::Enter).await;
    let notice = desk
        .wait_for_text("[data-testid=desk-notice]", "Registered and checked in")
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "1 of 60 inside")
        .await;
    let code = notice
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the notice names the code")
        .to_string();
    assert_eq!(code.len(), 7, "a code like K7M-4QX: {code}");
    let table = desk
        .wait_for_text("[data-testid=inside-table]", &code)
        .await;
    assert!(
        table.contains("Sunny <i>D</i>"),
        "nicknames are shown as text, not HTML: {table}"
    );

    // Inside already: a second check-in by code is refused with the reason.
    desk.type_into("Guest code or nickname", &code).await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("[role=alert]", "already inside").await;

    // Check out from the list, then back in by code typed in lower case without the dash.
    desk.click_button(&format!("Check out Sunny <i>D</i> ({code})"))
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "0 of 60 inside")
        .await;
    desk.type_into(
        "Guest code or nickname",
        &code.replace('-', "").to_lowercase(),
    )
    .await;
    desk.press(Key::Enter).await;
    desk.wait_for_text(
        "[data-testid=desk-notice]",
        &format!("Checked in Sunny <i>D</i> ({code})"),
    )
    .await;
    desk.wait_for_text("[data-testid=occupancy]", "1 of 60 inside")
        .await;

    // Undo it (a correction), then find them by nickname and pick with the keyboard.
    desk.click_button("Undo check-in").await;
    desk.wait_for_text("[data-testid=desk-notice]", "Undid the check-in")
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "0 of 60 inside")
        .await;
    // With the box empty the recently seen guests are listed; F1 checks in the first.
    desk.wait_for_text("#desk-choices", &code).await;
    desk.press(Key::F1).await;
    desk.wait_for_text("[data-testid=desk-notice]", "Checked in Sunny")
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "1 of 60 inside")
        .await;
    desk.click_button(&format!("Check out Sunny <i>D</i> ({code})"))
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "0 of 60 inside")
        .await;
    desk.type_into("Guest code or nickname", "sun").await;
    desk.wait_for_text("#desk-choices", &code).await;
    desk.press(Key::Down).await;
    let focused = desk.focused().await;
    assert!(
        focused.contains("Sunny"),
        "the arrow key moves into the list: {focused}"
    );
    desk.press(Key::Enter).await;
    desk.wait_for_text("[data-testid=desk-notice]", "Checked in Sunny")
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "1 of 60 inside")
        .await;

    // A mistyped code is caught, not matched to someone else.
    let mut typo: Vec<char> = code.chars().collect();
    typo[6] = if typo[6] == '2' { '3' } else { '2' };
    let typo: String = typo.into_iter().collect();
    desk.type_into("Guest code or nickname", &typo).await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("[data-testid=lookup-problem]", "mistyped")
        .await;

    // Someone who declines a code is counted with one keystroke.
    desk.press(Key::Alt + "t").await;
    desk.wait_for_text("[data-testid=day-counts]", "1 without a code")
        .await;
    desk.screenshot("front-desk").await;
    desk.close().await;
}

#[tokio::test]
async fn a_supervisor_fills_the_building_overrides_capacity_and_a_restriction_blocks_check_in() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Super", "supervisor", DESK_PASSWORD)
        .await;
    desk.click_button("Log out").await;
    desk.log_in("sam", DESK_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
    desk.open_screen("2", "Front desk").await;

    desk.type_into("People inside at most", "1").await;
    desk.click_button("Save capacity").await;
    desk.wait_for_text("[data-testid=flags-notice]", "capacity is now 1")
        .await;
    desk.press(Key::Alt + "n").await;
    desk.type_into("Nickname", "Rowan").await;
    desk.press(Key::Enter).await;
    let notice = desk
        .wait_for_text(
            "[data-testid=desk-notice]",
            "Registered and checked in Rowan",
        )
        .await;
    let code = notice
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("code")
        .to_string();
    desk.wait_for_text("[data-testid=occupancy]", "Full: 1 of 1")
        .await;

    // Full: the next guest is refused until the supervisor lets them in.
    desk.press(Key::Alt + "n").await;
    desk.type_into("Nickname", "Kai").await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("[role=alert]", "the building is full")
        .await;
    desk.click_button("Let in over capacity (supervisor)").await;
    let notice = desk
        .wait_for_text("[data-testid=desk-notice]", "over capacity")
        .await;
    let kai_code = notice
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("code")
        .to_string();
    desk.wait_for_text("[data-testid=occupancy]", "2 of 1")
        .await;

    // A restriction from the building blocks Rowan's next check-in, with the reason.
    desk.type_into("Guest code", &code).await;
    desk.find("#flag-kind option[value=restriction]")
        .await
        .click()
        .await
        .expect("kind");
    desk.type_into("Ends (YYYY-MM-DD, included)", "2099-12-31")
        .await;
    desk.type_into("Reason", "threatened staff <script>").await;
    desk.click_button("Record").await;
    desk.wait_for_text("[data-testid=current-flags]", "threatened staff <script>")
        .await;
    desk.click_button(&format!("Check out Rowan ({code})"))
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "1 of 1")
        .await;
    desk.type_into("Guest code or nickname", &code).await;
    desk.wait_for_text("[data-testid=guest-flags]", "Restricted from building")
        .await;
    desk.press(Key::Enter).await;
    desk.wait_for_text(
        "[role=alert]",
        "restricted from the building until 2099-12-31",
    )
    .await;
    desk.wait_for_text("[data-testid=occupancy]", "1 of 1")
        .await;
    desk.screenshot("front-desk-restriction").await;

    // Kai turns out to be Rowan registered twice: merge, and the old code finds Rowan.
    desk.type_into("Code to keep", &code).await;
    desk.type_into(
        "Duplicate code (its visits move to the kept one)",
        &kai_code,
    )
    .await;
    desk.click_button("Merge records").await;
    desk.wait_for_text("[data-testid=day-notice]", "the old code still finds them")
        .await;
    desk.type_into("Guest code or nickname", &kai_code).await;
    desk.wait_for_text("[data-testid=lookup-exact]", "Rowan")
        .await;

    // End of the day: everyone still inside is checked out and the counts are frozen.
    desk.click_button("Close out today").await;
    desk.click_button("Confirm close-out").await;
    desk.wait_for_text("[data-testid=day-notice]", "checked out at close")
        .await;
    desk.wait_for_text("[data-testid=occupancy]", "0 of 1")
        .await;
    desk.wait_for_text("[data-testid=day-closed]", "kept as a correction")
        .await;
    desk.close().await;
}

#[tokio::test]
async fn showers_are_booked_started_finished_and_an_out_of_order_one_is_refused() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Super", "supervisor", DESK_PASSWORD)
        .await;
    desk.click_button("Log out").await;
    desk.log_in("sam", DESK_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
    desk.open_screen("2", "Front desk").await;
    for name in ["Sunny", "Kai"] {
        desk.register_guest(name).await;
    }

    desk.open_screen("3", "Showers & workstations").await;
    desk.wait_for_text("[data-testid=next-free]", "Shower 1 at 10:")
        .await;
    let guest = desk.field("Guest (inside now)").await;
    guest.click().await.expect("open");
    desk.find("#book-guest option:nth-child(2)")
        .await
        .click()
        .await
        .expect("Sunny");
    desk.click_button("Book").await;
    let notice = desk
        .wait_for_text("[data-testid=schedule-notice]", "on Shower 1 at 10:")
        .await;
    // The app's clock started at 10:04:30 and runs on, so the slot is 10:05 or a little later.
    let start = notice
        .rsplit(" at ")
        .next()
        .map(|time| time.trim_end_matches('.').to_string())
        .expect("the time");
    desk.click_button(&format!("Start Shower 1 {start}")).await;
    desk.wait_for_text("[data-testid=board]", "In use by").await;
    desk.click_button(&format!("Finish Shower 1 {start}")).await;
    desk.wait_for_text("[data-testid=schedule-notice]", "Finished Shower 1")
        .await;
    desk.wait_for_text("[data-testid=board]", "done").await;

    // Shower 2 breaks; booking it by name is refused with the reason.
    desk.find("#repair-resource option:nth-child(3)")
        .await
        .click()
        .await
        .expect("Shower 2");
    desk.type_into("What is wrong", "drain blocked").await;
    desk.click_button("Mark out of order").await;
    desk.wait_for_text("[data-testid=schedule-notice]", "Shower 2 is out of order")
        .await;
    desk.wait_for_text("[data-testid=board]", "Out of order: drain blocked")
        .await;
    desk.find("#book-guest option:nth-child(3)")
        .await
        .click()
        .await
        .expect("Kai");
    desk.find("#book-resource option:nth-child(3)")
        .await
        .click()
        .await
        .expect("Shower 2");
    desk.type_into("Start (HH:MM)", "11:00").await;
    desk.click_button("Book").await;
    desk.wait_for_text("[role=alert]", "out of order: drain blocked")
        .await;
    desk.screenshot("showers").await;

    // A supervisor adds a seventh shower with a shorter slot; it is on the board at once.
    desk.type_into("Name", "Shower 7").await;
    desk.type_into("Slot (minutes)", "0").await;
    desk.click_button("Save resource").await;
    desk.wait_for_text("[data-testid=manage-error] [role=alert]", "slot length")
        .await;
    desk.type_into("Slot (minutes)", "15").await;
    desk.click_button("Save resource").await;
    desk.wait_for_text("[data-testid=manage-notice]", "Saved Shower 7")
        .await;
    desk.wait_for_text("[data-testid=board]", "Shower 7").await;
    desk.close().await;
}

#[tokio::test]
async fn a_no_show_releases_its_slot_to_the_first_guest_on_the_waitlist() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    // A small morning, set up in the database: one shower in order, open 10:00–10:40 on
    // Mondays (one slot), and a one-minute grace period so the test need not wait ten.
    let conn = rusqlite::Connection::open(&db.path).expect("the app's database");
    conn.execute_batch(
        "UPDATE settings SET value = '1' WHERE key = 'no_show_grace_minutes';
         UPDATE resources SET out_of_order_since = '2026-11-30T14:00:00Z',
                              out_of_order_reason = 'closed for the test'
           WHERE kind = 'shower' AND name <> 'Shower 1';
         UPDATE opening_hours SET opens = '10:00', closes = '10:40'
           WHERE kind = 'shower' AND weekday = 1;",
    )
    .expect("set up");
    drop(conn);
    front_desk_session(&desk).await;
    for name in ["Ana", "Ben"] {
        desk.register_guest(name).await;
    }
    desk.open_screen("3", "Showers & workstations").await;
    desk.find("#book-guest option:nth-child(2)")
        .await
        .click()
        .await
        .expect("Ana");
    desk.click_button("Book").await;
    desk.wait_for_text("[data-testid=schedule-notice]", "Booked Ana")
        .await;
    desk.find("#book-guest option:nth-child(3)")
        .await
        .click()
        .await
        .expect("Ben");
    desk.click_button("Book").await;
    desk.wait_for_text("[role=alert]", "no shower is free for the rest of today")
        .await;
    desk.click_button("Add to waitlist").await;
    desk.wait_for_text("[data-testid=waitlist]", "Ben").await;

    // Ana does not come: a minute after her slot starts (10:05, or 10:10 on a slow run) it
    // is released and Ben is called. Look at the board again every ten seconds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(480);
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(10)).await;
        desk.click_button("Showers").await;
        let board = desk
            .find("[data-testid=board]")
            .await
            .text()
            .await
            .unwrap_or_default();
        if board.contains("no-show") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Ana's booking never became a no-show: {board}"
        );
    }
    desk.wait_for_text("[data-testid=call-next]", "Call Ben")
        .await;
    desk.screenshot("no-show-waitlist").await;
    desk.close().await;
}

/// Switch to another account: log out, log in, wait for the start screen.
async fn switch_to(desk: &Desk, username: &str) {
    desk.click_button("Log out").await;
    desk.log_in(username, DESK_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
}

#[tokio::test]
async fn the_nurse_queue_calls_numbers_and_keeps_clinical_notes_from_the_front_desk() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("fran", "Fran Desk", "front_desk", DESK_PASSWORD)
        .await;
    desk.create_account("nina", "Nina Nurse", "nurse", DESK_PASSWORD)
        .await;

    // The front desk checks two guests in and puts them in the queue.
    switch_to(&desk, "fran").await;
    desk.open_screen("2", "Front desk").await;
    for name in ["Sunny", "Kai"] {
        desk.register_guest(name).await;
    }
    desk.open_screen("4", "Nurse queue").await;
    for (option, reason, priority) in [
        (2, "Wound care", "Routine"),
        (3, "Testing (HIV, HCV, STI)", "Urgent"),
    ] {
        desk.find(&format!("#queue-guest option:nth-child({option})"))
            .await
            .click()
            .await
            .expect("guest");
        desk.choose("Reason", reason).await;
        desk.choose("Priority", priority).await;
        if option == 2 {
            desk.type_into("Note for the nurse (not clinical)", "uses a cane")
                .await;
        }
        desk.click_button("Add to queue").await;
        let number = if option == 2 { "N-001" } else { "N-002" };
        desk.wait_for_text("[data-testid=queue-notice]", &format!("is number {number}"))
            .await;
    }
    let table = desk
        .wait_for_text("[data-testid=desk-queue]", "N-002")
        .await;
    assert!(
        table.find("N-002") < table.find("N-001"),
        "urgent is called before routine: {table}"
    );
    for private in ["Wound care", "Testing", "Sunny", "Kai", "cane", "Urgent"] {
        assert!(
            !table.contains(private),
            "the front desk's queue shows numbers and states only, not {private:?}: {table}"
        );
    }

    // The nurse calls next at a station, starts, and finishes with a clinical note.
    switch_to(&desk, "nina").await;
    desk.open_screen("4", "Nurse queue").await;
    desk.wait_for_text("[data-testid=waiting-queue]", "N-001")
        .await;
    let focused = desk.focused().await;
    assert!(
        focused.starts_with("select#queue-station"),
        "a nurse opening the queue lands on choosing a station: {focused}"
    );
    let waiting = desk
        .wait_for_text("[data-testid=waiting-queue]", "N-001")
        .await;
    assert!(
        waiting.contains("Urgent") && waiting.contains("uses a cane"),
        "nurses see priority, reason and the desk's note: {waiting}"
    );
    desk.screenshot("nurse-queue-waiting").await;
    desk.find("#queue-station option:nth-child(2)")
        .await
        .click()
        .await
        .expect("Station 1");
    desk.click_button("Call next").await;
    desk.wait_for_text("[data-testid=queue-notice]", "Call out N-002 to Station 1")
        .await;
    desk.wait_for_text("[data-testid=stations]", "Station 1: with N-002")
        .await;
    desk.click_button("Start N-002").await;
    desk.wait_for_text("[data-testid=active-queue]", "with the nurse")
        .await;
    desk.click_button("Finish N-002").await;
    assert!(
        desk.focused().await.starts_with("textarea#finish-note"),
        "finishing puts the keyboard in the note"
    );
    desk.type_into(
        "Clinical note (nurses and supervisors only)",
        "Rapid test done; <b>result</b> explained",
    )
    .await;
    desk.click_button("Finish N-002").await;
    desk.wait_for_text("[data-testid=queue-notice]", "N-002 is seen")
        .await;
    desk.click_button("Notes N-002").await;
    desk.wait_for_text(
        "[data-testid=clinical-notes]",
        "Rapid test done; <b>result</b> explained",
    )
    .await;
    desk.screenshot("nurse-queue").await;

    // The nurse records an overdose on site.
    desk.type_into("Naloxone doses", "2").await;
    desk.field("EMS called").await.click().await.expect("EMS");
    desk.click_button("Record incident").await;
    desk.wait_for_text("[data-testid=incidents]", "Overdose")
        .await;

    // The front desk sees the number done, never the note, and cannot read it even by
    // calling the command itself.
    switch_to(&desk, "fran").await;
    desk.open_screen("4", "Nurse queue").await;
    desk.wait_for_text("[data-testid=desk-queue]", "N-001")
        .await;
    let page = desk.page_text().await;
    assert!(
        !page.contains("Rapid test") && !page.contains("Notes"),
        "no clinical note reaches the front desk's screen: {page}"
    );
    let refused = desk
        .invoke("queue_read_notes", serde_json::json!({ "entryId": 2 }))
        .await
        .expect_err("the front desk may not read clinical notes");
    assert_eq!(
        refused["code"], "permission_denied",
        "Rust refuses the read: {refused}"
    );
    let refused = desk
        .invoke("queue_nurse_view", serde_json::json!({}))
        .await
        .expect_err("the nurse view is not the front desk's");
    assert_eq!(refused["code"], "permission_denied", "{refused}");

    // The desk takes a waiting number off the queue and puts it back; the answers it gets
    // are its own line (number, state, station, wait), never the guest, reason or note.
    desk.click_button("Take off the queue N-001").await;
    desk.wait_for_text("[data-testid=queue-notice]", "N-001 is cancelled")
        .await;
    desk.click_button("Put N-001 back in the queue").await;
    desk.wait_for_text(
        "[data-testid=queue-notice]",
        "Undone: N-001 is waiting again",
    )
    .await;
    desk.wait_for_text("[data-testid=desk-queue]", "N-001")
        .await;
    let cancelled = desk
        .invoke(
            "queue_change",
            serde_json::json!({ "entryId": 1, "to": "cancelled", "clinicalNote": null }),
        )
        .await
        .expect("the desk may take a waiting number off");
    let back = desk
        .invoke("queue_undo", serde_json::json!({ "entryId": 1 }))
        .await
        .expect("and undo that");
    for answer in [&cancelled, &back] {
        assert_eq!(answer["entry"], serde_json::Value::Null, "{answer}");
        let text = answer.to_string();
        for private in [
            "wound", "Wound", "cane", "Sunny", "guestId", "reason", "note",
        ] {
            assert!(
                !text.contains(private),
                "the desk's answer carries nothing but its line ({private:?}): {text}"
            );
        }
    }
    assert_eq!(
        back["line"]["state"], "waiting",
        "N-001 waits again: {back}"
    );
    // (The join form offers every reason and priority; what was chosen is never shown.)
    let table = desk
        .wait_for_text("[data-testid=desk-queue]", "N-001")
        .await;
    let notice = desk
        .wait_for_text("[data-testid=queue-notice]", "N-001")
        .await;
    for private in ["Wound care", "cane", "Urgent", "Sunny"] {
        assert!(
            !table.contains(private) && !notice.contains(private),
            "nothing clinical reached the desk's queue ({private:?}): {table} / {notice}"
        );
    }
    assert!(
        !desk.page_text().await.contains("cane"),
        "the desk's note is not shown back"
    );
    desk.screenshot("nurse-queue-desk").await;
    desk.close().await;
}

#[tokio::test]
async fn a_treatment_referral_needs_consent_to_be_sent_and_stays_hidden_from_the_front_desk() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Super", "supervisor", DESK_PASSWORD)
        .await;
    desk.create_account("fran", "Fran Desk", "front_desk", DESK_PASSWORD)
        .await;
    switch_to(&desk, "sam").await;
    desk.open_screen("2", "Front desk").await;
    desk.register_guest("Sunny").await;

    // The supervisor puts an outside detox program on the partner list.
    desk.open_screen("5", "Referrals").await;
    desk.type_into("Partner name", "Harbor Health").await;
    desk.click_button("Save partner").await;
    desk.wait_for_text("[data-testid=partners-notice]", "Saved Harbor Health")
        .await;

    // A detox referral with a follow-up today and a first note.
    desk.find("#referral-guest option:nth-child(2)")
        .await
        .click()
        .await
        .expect("Sunny");
    desk.choose("Category", "Substance-use treatment: detox")
        .await;
    desk.choose("Destination", "Harbor Health (outside)").await;
    desk.type_into("Follow-up date (optional, YYYY-MM-DD)", "2026-11-30")
        .await;
    desk.type_into("Note (optional)", "Wants detox this week")
        .await;
    desk.click_button("Make referral").await;
    desk.wait_for_text("[data-testid=referrals-notice]", "Referred Sunny")
        .await;
    desk.wait_for_text("[data-testid=referral-notes]", "Wants detox this week")
        .await;

    // Sending to an outside partner needs the guest's consent first.
    desk.click_button("Mark sent").await;
    desk.wait_for_text("[data-testid=referral-detail] [role=alert]", "consent")
        .await;
    desk.type_into(
        "Information to disclose",
        "Code, age range, referral reason",
    )
    .await;
    desk.type_into("Purpose", "Admission to detox").await;
    desk.click_button("Record consent").await;
    desk.wait_for_text("[data-testid=consents]", "In force")
        .await;
    desk.click_button("Mark sent").await;
    desk.wait_for_text("[data-testid=referral-notice]", "The referral is sent")
        .await;
    desk.type_into("Add a note", "Intake has a bed <b>tomorrow</b>")
        .await;
    desk.click_button("Add note").await;
    desk.wait_for_text(
        "[data-testid=referral-notes]",
        "Intake has a bed <b>tomorrow</b>",
    )
    .await;
    desk.wait_for_text("[data-testid=referral-history]", "made -> sent")
        .await;
    desk.screenshot("referral").await;

    // The front desk is only asked to send the guest to the nurse team: the reminder says
    // nothing of a referral, and no follow-up of it is listed.
    switch_to(&desk, "fran").await;
    desk.open_screen("5", "Referrals").await;
    let reminder = desk
        .wait_for_text("[data-testid=nurse-team-reminders]", "Sunny")
        .await;
    let page = desk.page_text().await;
    // (The partner list is not private: the destination picker offers every partner.)
    for private in ["detox", "Detox", "Intake", "Wants", "onfidential"] {
        assert!(
            !page.contains(private),
            "nothing about the treatment referral reaches the front desk ({private:?}): {page}"
        );
    }
    assert!(
        page.contains("No follow-ups are due today."),
        "the treatment referral's follow-up is not on the desk's list: {page}"
    );
    let code = reminder
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .expect("the guest's code in the reminder")
        .to_string();

    // The desk refers Sunny to the same partner for housing: the detox consent is not
    // shown, cannot be revoked from here and does not let the referral be sent.
    desk.find("#referral-guest option:nth-child(2)")
        .await
        .click()
        .await
        .expect("Sunny");
    desk.choose("Category", "Housing advocate").await;
    desk.choose("Destination", "Harbor Health (outside)").await;
    desk.click_button("Make referral").await;
    desk.wait_for_text("[data-testid=referrals-notice]", "Referred Sunny")
        .await;
    let detail = desk
        .wait_for_text(
            "[data-testid=referral-detail]",
            "No consent recorded for this referral",
        )
        .await;
    for private in [
        "In force",
        "Admission to detox",
        "Code, age range",
        "Revoke",
    ] {
        assert!(
            !detail.contains(private),
            "the housing referral shows nothing of the detox consent ({private:?}): {detail}"
        );
    }
    desk.click_button("Mark sent").await;
    desk.wait_for_text("[data-testid=referral-detail] [role=alert]", "consent")
        .await;
    desk.screenshot("referral-consent-scope").await;

    desk.type_into("Guest code", &code).await;
    desk.click_button("Show referrals").await;
    desk.wait_for_text("main", "1 referral you may see").await;
    // Opening the treatment referral's id answers like an id that does not exist.
    let refused = desk
        .invoke("open_referral", serde_json::json!({ "referralId": 1 }))
        .await
        .expect_err("the front desk may not open a treatment referral");
    let missing = desk
        .invoke("open_referral", serde_json::json!({ "referralId": 999 }))
        .await
        .expect_err("no referral 999");
    assert_eq!(refused, missing, "Rust answers exactly as for a missing id");
    assert_eq!(refused["code"], "not_found", "{refused}");
    desk.close().await;
}

#[tokio::test]
async fn a_supervisor_reads_the_day_s_counts_and_exports_them() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Super", "supervisor", DESK_PASSWORD)
        .await;
    switch_to(&desk, "sam").await;
    desk.open_screen("2", "Front desk").await;
    for name in ["Ana", "Ben", "Cy"] {
        desk.register_guest(name).await;
    }
    desk.press(Key::Alt + "t").await;
    desk.wait_for_text(
        "[data-testid=desk-notice]",
        "Counted a guest without a code",
    )
    .await;

    desk.open_screen("6", "Reports").await;
    // WebDriver joins a row's header and number cells without a space.
    let summary = desk
        .wait_for_text("[data-testid=report-summary]", "Visits3")
        .await;
    assert!(
        summary.contains("New guests3") && summary.contains("Anonymous tallies1"),
        "the day's counts: {summary}"
    );
    assert!(
        summary.contains("Peak occupancy3"),
        "three inside at once: {summary}"
    );
    desk.wait_for_text("#summary-heading", "provisional").await;
    desk.find("[data-testid=occupancy-chart] canvas").await;
    desk.find("[data-testid=visits-chart] canvas").await;
    desk.screenshot("reports").await;

    std::fs::create_dir_all(desk.exports()).expect("exports folder");
    let hide = desk
        .field("Hide small counts (for sharing outside the center)")
        .await;
    hide.focus().await.expect("focus");
    desk.press(" ").await;
    assert!(
        hide.is_selected().await.expect("state"),
        "the box is ticked from the keyboard"
    );
    desk.click_button("Export CSV").await;
    let notice = desk
        .wait_for_text("[data-testid=report-notice]", "Saved CSV to")
        .await;
    let path = desk
        .exports()
        .join("daily-counts-2026-11-30-to-2026-11-30.csv");
    let csv = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("{notice}: {} unreadable: {err}", path.display()));
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("date,status,visits,unique_guests")),
        "the documented header: {csv}"
    );
    assert!(
        lines
            .next()
            .is_some_and(|row| row.starts_with("2026-11-30,provisional,<11,<11,<11,<11,0,0,<11")),
        "small counts are hidden when shared outside: {csv}"
    );
    desk.close().await;
}

/// Start a second copy of the app on the same database, on the same display; return what
/// it printed once it said it is refused (it keeps its window open to say so).
fn second_window_refusal(desk: &Desk, db: &std::path::Path) -> String {
    use std::io::Read;
    let mut second = std::process::Command::new(engagement_desk_tests::binary())
        .env("DISPLAY", &desk.display)
        .env("ENGAGEMENT_DESK_DB", db)
        .env("HOME", desk.home.path())
        .env("NO_AT_BRIDGE", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("a second app starts");
    let mut stderr = second.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut buffer = [0u8; 1024];
        while let Ok(read) = stderr.read(&mut buffer) {
            if read == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buffer[..read]));
            if text.contains('\n') {
                break;
            }
        }
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !reader.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = second.kill();
    let _ = second.wait();
    reader.join().expect("the reader")
}

#[tokio::test]
async fn an_admin_backs_up_and_restores_last_night_s_backup_beside_the_command_line() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Super", "supervisor", DESK_PASSWORD)
        .await;
    switch_to(&desk, "sam").await;
    desk.open_screen("2", "Front desk").await;
    desk.register_guest("Before").await;
    desk.click_button("Close out today").await;
    desk.click_button("Confirm close-out").await;
    desk.wait_for_text("[data-testid=day-notice]", "The day's backup is saved.")
        .await;
    // A correction after the close-out: the close-out's backup does not hold it.
    desk.register_guest("After").await;

    // The command line works beside the open window: a backup and an export.
    let path = db.path.to_str().expect("UTF-8");
    let cli_copy = db.dir.path().join("cli-backup.db");
    let backup = engagement_desk_tests::run_cli(
        &[
            "--db",
            path,
            "backup",
            "--out",
            cli_copy.to_str().expect("UTF-8"),
        ],
        &[],
    );
    assert_eq!(
        backup.code,
        Some(0),
        "a CLI backup beside the app: {}",
        backup.stderr
    );
    let csv = db.dir.path().join("counts.csv");
    let export = engagement_desk_tests::run_cli(
        &[
            "--db",
            path,
            "export",
            "counts",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--format",
            "csv",
            "--out",
            csv.to_str().expect("UTF-8"),
        ],
        &[],
    );
    assert_eq!(
        export.code,
        Some(0),
        "a CLI export beside the app: {}",
        export.stderr
    );
    // But a restore under the open window is refused, and so is a second window.
    let restore = engagement_desk_tests::run_cli(
        &["--db", path, "restore", cli_copy.to_str().expect("UTF-8")],
        &[],
    );
    assert_eq!(restore.code, Some(1), "no restore under an open window");
    assert!(
        restore.stderr.contains("[already_open]") && restore.stderr.contains("close it first"),
        "the CLI says why: {}",
        restore.stderr
    );
    let refusal = second_window_refusal(&desk, &db.path);
    assert!(
        refusal.contains("[already_open]") && refusal.contains("already open"),
        "a second window on the same database is refused with a clear message: {refusal}"
    );
    // The desk still works after all that, without a busy error.
    desk.register_guest("Beside").await;

    desk.click_button("Log out").await;
    desk.log_in("avery", ADMIN_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
    desk.open_screen("7", "Admin").await;
    std::fs::create_dir_all(desk.exports()).expect("exports folder");
    desk.click_button("Back up now…").await;
    desk.wait_for_text("[data-testid=backup-notice]", "integrity check passed")
        .await;
    let saved = desk.exports().join("engagement-desk-backup-2026-11-30.db");
    let check =
        engagement_desk_tests::run_cli(&["--db", saved.to_str().expect("UTF-8"), "check"], &[]);
    assert_eq!(
        check.code,
        Some(0),
        "the backup from the app is a healthy database: {}",
        check.stderr
    );

    // Last night's backup: the close-out's, in the backups folder list.
    let list = desk
        .wait_for_text("[data-testid=backup-list]", "close-out")
        .await;
    assert!(
        list.contains("Automatic"),
        "the list says which are automatic: {list}"
    );
    let rows = desk
        .driver
        .find_all(By::Css("[data-testid=backup-list] tbody tr"))
        .await
        .expect("rows");
    let mut clicked = false;
    for row in rows {
        if row.text().await.expect("row").contains("close-out") {
            row.find(By::Tag("button"))
                .await
                .expect("its button")
                .click()
                .await
                .expect("click");
            clicked = true;
            break;
        }
    }
    assert!(clicked, "the close-out backup has a Check button");
    let holds = desk
        .wait_for_text("[data-testid=chosen-backup-holds]", "1 guest,")
        .await;
    assert!(
        holds.contains("2 staff accounts"),
        "what the backup holds: {holds}"
    );
    let facts = desk
        .find("[data-testid=chosen-backup]")
        .await
        .text()
        .await
        .expect("facts");
    assert!(
        facts.contains("(current)") && facts.contains("Integrity check"),
        "the schema version and the check are shown: {facts}"
    );
    desk.screenshot("backup-checked").await;
    desk.click_button("Restore this backup…").await;
    desk.click_button("Confirm restore").await;
    let notice = desk
        .wait_for_text("[data-testid=login-notice]", "Please log in again")
        .await;
    assert!(
        notice.contains("before-restore-"),
        "it says where the previous database went: {notice}"
    );

    desk.log_in("sam", DESK_PASSWORD).await;
    desk.wait_for_text("#screen-title", "Start").await;
    let before = desk
        .invoke("lookup_guest", serde_json::json!({"typed": "Before"}))
        .await
        .expect("lookup");
    let after = desk
        .invoke("lookup_guest", serde_json::json!({"typed": "After"}))
        .await
        .expect("lookup");
    assert_eq!(
        before["matches"].as_array().map(Vec::len),
        Some(1),
        "the backup's guest is back"
    );
    assert_eq!(
        after["matches"].as_array().map(Vec::len),
        Some(0),
        "the correction made after the backup is gone"
    );
    desk.close().await;

    let before_restore: Vec<_> = std::fs::read_dir(db.dir.path().join("backups"))
        .expect("backups folder")
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            // (Each copy has its audit anchor beside it, `<copy>.db.audit-anchor`.)
            name.starts_with("before-restore-") && name.ends_with(".db")
        })
        .collect();
    assert_eq!(
        before_restore.len(),
        1,
        "the database before the restore was kept"
    );
}

#[tokio::test]
async fn hostile_input_through_the_window_is_refused_or_shown_as_text() {
    let db = TempDb::new();
    let desk = Desk::launch_as_first_admin(&db.path, ADMIN_PASSWORD).await;
    desk.open_screen("7", "Admin").await;
    desk.create_account("sam", "Sam Super", "supervisor", DESK_PASSWORD)
        .await;
    switch_to(&desk, "sam").await;
    desk.open_screen("2", "Front desk").await;
    let html = "<img src=x onerror=\"window.__pwned=1\">";
    desk.register_guest(html).await;
    let notice = desk
        .find("[data-testid=desk-notice]")
        .await
        .text()
        .await
        .expect("notice");
    assert!(
        notice.contains(html),
        "the nickname is shown as text: {notice}"
    );
    let injected = desk
        .driver
        .execute(
            "return { images: document.querySelectorAll('main img').length, pwned: window.__pwned === 1 };",
            Vec::new(),
        )
        .await
        .expect("script runs");
    assert_eq!(
        injected.json(),
        &serde_json::json!({"images": 0, "pwned": false}),
        "no element was made from the nickname and no script ran"
    );

    // What the web view could send that the screens never would.
    let dump = |path: &std::path::Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(path).expect("opens beside the app");
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('audit_log') ORDER BY name")
            .expect("tables")
            .query_map([], |row| row.get(0))
            .expect("rows")
            .map(|name| name.expect("name"))
            .collect();
        let mut lines = Vec::new();
        for table in tables {
            let mut statement = conn
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .expect("select");
            let columns = statement.column_count();
            let rows = statement
                .query_map([], |row| {
                    let mut cells = Vec::new();
                    for index in 0..columns {
                        let value: rusqlite::types::Value = row.get(index)?;
                        cells.push(format!("{value:?}"));
                    }
                    Ok(format!("{table}: {}", cells.join(" | ")))
                })
                .expect("rows");
            lines.extend(rows.map(|line| line.expect("row")));
        }
        lines
    };
    let before = dump(&db.path);
    let huge = "x".repeat(200_000);
    let attempts = [
        ("lookup_guest", serde_json::json!({})),
        ("lookup_guest", serde_json::json!({"typed": 42})),
        ("lookup_guest", serde_json::json!({"typed": huge})),
        (
            "register_and_check_in",
            serde_json::json!({"guest": {"nickname": huge}, "overCapacity": false}),
        ),
        (
            "register_and_check_in",
            serde_json::json!({"guest": {"nickname": "a\u{0}b\u{202e}"}, "overCapacity": false}),
        ),
        (
            "register_and_check_in",
            serde_json::json!({"guest": {"nickname": "Ok", "birthYear": "1850"}, "overCapacity": false}),
        ),
        (
            "register_and_check_in",
            serde_json::json!({"guest": "'; DROP TABLE guests; --", "overCapacity": false}),
        ),
        (
            "check_in_guest",
            serde_json::json!({"guestId": -1, "overCapacity": false}),
        ),
        (
            "check_in_guest",
            serde_json::json!({"guestId": "1 OR 1=1", "overCapacity": false}),
        ),
        (
            "check_in_guest",
            serde_json::json!({"guestId": 9.5e300, "overCapacity": false}),
        ),
        ("check_out_visit", serde_json::json!({"visitId": i64::MAX})),
        (
            "set_building_capacity",
            serde_json::json!({"capacity": "-5"}),
        ),
        (
            "report_counts",
            serde_json::json!({"from": "2026-02-30", "to": "2026-03-01"}),
        ),
        (
            "report_counts",
            serde_json::json!({"from": "0000-01-01", "to": "99999-12-31"}),
        ),
        ("restore_backup", serde_json::json!({"path": "/etc/passwd"})),
        ("set_backup_keep", serde_json::json!({"keep": "0"})),
        ("no_such_command", serde_json::json!({})),
    ];
    for (command, args) in attempts {
        let shown: String = args.to_string().chars().take(80).collect();
        let err = desk
            .invoke(command, args)
            .await
            .expect_err(&format!("{command} {shown} must be refused"));
        if let Some(code) = err.get("code") {
            assert!(
                code.as_str().is_some_and(|code| code != "internal")
                    && err["message"]
                        .as_str()
                        .is_some_and(|message| !message.is_empty()),
                "{command} {shown}: a clear {{code, message}}: {err}"
            );
        } else {
            // Tauri itself refuses arguments of the wrong shape before any command runs;
            // the UI's api.ts turns this text into {code: invalid_input, message}.
            assert!(
                err.as_str().is_some_and(|text| !text.is_empty()),
                "{command} {shown}: refused with a reason: {err}"
            );
        }
    }
    assert_eq!(
        dump(&db.path),
        before,
        "no refused input changed the database"
    );
    desk.close().await;
}

/// A year of demo data ending at `until`, and the accounts the demo printed (shown once):
/// role, username and password.
fn demo_database(seed: &str, until: &str) -> (TempDb, Vec<(String, String, String)>) {
    let db = TempDb::new();
    let path = db.path.to_str().expect("UTF-8 path");
    let made = engagement_desk_tests::run_cli(
        &[
            "--db", path, "demo", "--years", "1", "--seed", seed, "--until", until,
        ],
        &[],
    );
    assert_eq!(made.code, Some(0), "demo data is made: {}", made.stderr);
    let accounts = made
        .stdout
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>())
        .filter(|parts| parts.len() == 3)
        .map(|parts| {
            (
                parts[1].to_string(),
                parts[0].to_string(),
                parts[2].to_string(),
            )
        })
        .collect();
    (db, accounts)
}

/// The username and password of the demo's account of `role`.
fn account_of(accounts: &[(String, String, String)], role: &str) -> (String, String) {
    accounts
        .iter()
        .find(|(r, _, _)| r == role)
        .map(|(_, username, password)| (username.clone(), password.clone()))
        .unwrap_or_else(|| panic!("a {role} account is printed"))
}

/// A trainer's database: a year of demo data ending at the tests' clock (Monday 10:04).
#[tokio::test]
async fn a_year_of_demo_data_opens_on_a_busy_morning_and_the_desk_works_with_its_regulars() {
    let (db, accounts) = demo_database("3", E2E_CLOCK_START);
    let (username, password) = account_of(&accounts, "front_desk");
    // The regular with the most visits who is not inside now and may come in.
    let (code, nickname): (String, String) = {
        let conn = rusqlite::Connection::open(&db.path).expect("opens");
        conn.query_row(
            "SELECT g.code, g.nickname FROM guests g JOIN visits v ON v.guest_id = g.id
             WHERE g.nickname IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM visits o WHERE o.guest_id = g.id
                               AND o.checked_out_at IS NULL AND o.voided_at IS NULL)
               AND NOT EXISTS (SELECT 1 FROM guest_flags f WHERE f.guest_id = g.id)
             GROUP BY g.id ORDER BY count(*) DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("a regular")
    };
    let code = format!("{}-{}", &code[..3], &code[3..]);

    let desk = Desk::launch(&db.path).await;
    desk.log_in(&username, &password).await;
    desk.wait_for_text("#screen-title", "Start").await;
    desk.open_screen("2", "Front desk").await;
    let occupancy = desk
        .wait_for_text("[data-testid=occupancy]", "of 90 inside")
        .await;
    let inside: u32 = occupancy
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a number inside");
    assert!(inside >= 10, "a Monday morning is busy: {occupancy}");

    // The regular is found by nickname among years of guests, then checked in by code.
    desk.type_into("Guest code or nickname", &nickname).await;
    desk.wait_for_text("#desk-choices", &code).await;
    desk.screenshot("demo-front-desk-search").await;
    desk.type_into("Guest code or nickname", &code).await;
    desk.press(Key::Enter).await;
    desk.wait_for_text(
        "[data-testid=desk-notice]",
        &format!("Checked in {nickname} ({code})"),
    )
    .await;
    desk.wait_for_text(
        "[data-testid=occupancy]",
        &format!("{} of 90 inside", inside + 1),
    )
    .await;
    desk.open_screen("3", "Showers & workstations").await;
    desk.wait_for_text("main", "Shower 6").await;
    desk.screenshot("demo-schedule").await;
    desk.close().await;
}

/// A day nobody closed out: a year of demo data whose last day, Friday 27 November, was
/// left open with guests inside. On Monday the desk shows nobody inside, and a supervisor
/// sees Friday on the start screen and the desk and closes it out late in one step.
#[tokio::test]
async fn a_day_left_open_is_settled_and_a_supervisor_closes_it_late() {
    let (db, accounts) = demo_database("5", "2026-11-27T16:00:00Z");
    let (username, password) = account_of(&accounts, "supervisor");
    let left_inside: i64 = rusqlite::Connection::open(&db.path)
        .expect("opens")
        .query_row(
            "SELECT count(*) FROM visits WHERE service_date = '2026-11-27'
               AND checked_out_at IS NULL AND voided_at IS NULL",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert!(
        left_inside > 10,
        "Friday was left with guests inside: {left_inside}"
    );

    let desk = Desk::launch(&db.path).await;
    desk.log_in(&username, &password).await;
    desk.wait_for_text("#screen-title", "Start").await;
    let panel = desk
        .wait_for_text("[data-testid=days-left-open]", "Friday 27 November 2026")
        .await;
    assert!(
        panel.contains(&left_inside.to_string()),
        "the settled visits are counted on the list: {panel}"
    );
    desk.screenshot("days-left-open-start").await;

    desk.open_screen("2", "Front desk").await;
    desk.wait_for_text("[data-testid=occupancy]", "0 of 90 inside")
        .await;
    desk.wait_for_text("[data-testid=days-left-open]", "Friday 27 November 2026")
        .await;
    desk.screenshot("days-left-open-desk").await;
    desk.click_button("Close out Friday 27 November 2026").await;
    let notice = desk
        .wait_for_text("[data-testid=open-days-notice]", "closed out (late)")
        .await;
    assert!(
        notice.contains(&format!("{left_inside} settled at day end")),
        "{notice}"
    );
    let rows = desk
        .driver
        .find_all(By::Css("[data-testid=open-day]"))
        .await
        .expect("rows");
    assert!(rows.is_empty(), "no day is left open any more");

    // The Reports screen's totals over the year are the exported file's.
    desk.open_screen("6", "Reports").await;
    // Today's counts first (the screen fills the range in when they arrive).
    desk.wait_for_text("#summary-heading", "2026-11-30").await;
    desk.type_into("From (YYYY-MM-DD)", "2025-11-28").await;
    desk.type_into("To (YYYY-MM-DD)", "2026-11-30").await;
    desk.click_button("Show counts").await;
    desk.wait_for_text("#summary-heading", "2025-11-28 to 2026-11-30")
        .await;
    let summary = desk
        .wait_for_text("[data-testid=report-summary]", "Visits")
        .await;
    std::fs::create_dir_all(desk.exports()).expect("exports folder");
    desk.click_button("Export CSV").await;
    desk.wait_for_text("[data-testid=report-notice]", "Saved CSV to")
        .await;
    let csv = std::fs::read_to_string(
        desk.exports()
            .join("daily-counts-2025-11-28-to-2026-11-30.csv"),
    )
    .expect("the export");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let days: Vec<Vec<&str>> = lines.map(|line| line.split(',').collect()).collect();
    let column = |name: &str| header.iter().position(|c| *c == name).expect(name);
    let total = |name: &str| -> u64 {
        days.iter()
            .map(|row| row[column(name)].parse::<u64>().expect("a number"))
            .sum()
    };
    let friday = days
        .iter()
        .find(|row| row[0] == "2026-11-27")
        .expect("Friday's row");
    assert_eq!(
        friday[column("status")],
        "closed_late",
        "the file marks Friday"
    );
    assert_eq!(
        friday[column("settled_at_day_end")],
        left_inside.to_string()
    );
    for (label, name) in [
        ("Visits", "visits"),
        ("New guests", "new_guests"),
        ("Anonymous tallies", "anonymous_tallies"),
    ] {
        assert!(
            summary.contains(&format!("{label}{}", total(name))),
            "the screen's {label} is the file's sum {}: {summary}",
            total(name)
        );
    }
    desk.screenshot("reports-year-closed-late").await;
    desk.close().await;

    let conn = rusqlite::Connection::open(&db.path).expect("opens");
    let (late, settled): (i64, i64) = conn
        .query_row(
            "SELECT closed_late, checked_out_at_close FROM day_closures
             WHERE service_date = '2026-11-27'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("Friday is closed");
    assert_eq!(
        (late, settled),
        (1, left_inside),
        "closed late, with its settled visits"
    );
}

/// axe-core on every screen for every role, on a year of demo data (so lists and tables
/// are full): no serious or critical WCAG 2.1 A/AA violation anywhere.
#[tokio::test]
async fn every_screen_for_every_role_passes_axe_core() {
    let (db, accounts) = demo_database("7", E2E_CLOCK_START);
    let account = |role: &str| account_of(&accounts, role);
    let desk = Desk::launch(&db.path).await;
    desk.wait_for_text("main", "Log in").await;
    desk.assert_accessible("the login screen").await;
    for role in ["front_desk", "nurse", "supervisor", "admin"] {
        let (username, password) = account(role);
        desk.log_in(&username, &password).await;
        desk.wait_for_text("#screen-title", "Start").await;
        let buttons = desk
            .driver
            .find_all(By::Css("nav button[aria-keyshortcuts]"))
            .await
            .expect("the navigation");
        let mut screens = Vec::new();
        for button in buttons {
            let keys = button
                .attr("aria-keyshortcuts")
                .await
                .expect("attribute")
                .unwrap_or_default();
            let label = button.text().await.expect("label");
            let title = label
                .split("Alt+")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            screens.push((keys.trim_start_matches("Alt+").to_string(), title));
        }
        assert!(
            screens.len() >= 2,
            "{role} sees several screens: {screens:?}"
        );
        for (key, title) in &screens {
            desk.open_screen(key, title).await;
            // Let the screen's data arrive before it is checked.
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            desk.assert_accessible(&format!("{role} on {title}")).await;
            if title == "Front desk" {
                // With no guest to list, the box points at no list.
                desk.type_into("Guest code or nickname", "Zzqx").await;
                desk.find("[data-testid=lookup-none]").await;
                desk.assert_accessible(&format!("{role} on {title}, nothing found"))
                    .await;
                desk.field("Guest code or nickname")
                    .await
                    .clear()
                    .await
                    .expect("the box empties");
            }
        }
        desk.click_button("Log out").await;
        desk.wait_for_text("main", "Log in").await;
    }
    desk.close().await;
}
