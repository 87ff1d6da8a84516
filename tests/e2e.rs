//! End-to-end: the real app window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver. Each test has its own temporary database.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use engagement_desk_tests::e2e::Desk;
use engagement_desk_tests::TempDb;
use thirtyfour::prelude::*;

#[tokio::test]
async fn the_app_starts_creates_its_database_and_shows_the_first_screen() {
    let db = TempDb::new();
    let desk = Desk::launch(&db.path).await;

    let title = desk.find("h1").await.text().await.expect("title text");
    assert_eq!(title, "Engagement Desk", "the window shows the app's name");
    desk.wait_for_text("[data-testid=db-state]", "Database ready")
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
    let schema = desk
        .find("[data-testid=schema-version]")
        .await
        .text()
        .await
        .expect("schema");
    assert!(
        schema.parse::<u32>().expect("a number") >= 1,
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

    let screens = desk
        .driver
        .find_all(By::Css("nav button"))
        .await
        .expect("nav buttons");
    let mut labels = Vec::new();
    for button in &screens {
        labels.push(button.text().await.expect("label"));
    }
    assert!(
        labels.len() >= 6,
        "the navigation lists the screens: {labels:?}"
    );
    assert!(
        labels.iter().any(|label| label.starts_with("Front desk")),
        "Front desk is in the navigation: {labels:?}"
    );

    desk.screenshot("first-screen").await;
    desk.close().await;
}

#[tokio::test]
async fn screens_are_reachable_from_the_keyboard_and_focus_follows() {
    let db = TempDb::new();
    let desk = Desk::launch(&db.path).await;
    desk.wait_for_text("[data-testid=db-state]", "Database ready")
        .await;

    // Alt+2 jumps to the front desk; the focus lands on the screen's heading.
    desk.press(Key::Alt + "2").await;
    desk.wait_for_text("#screen-title", "Front desk").await;
    let focused = desk.focused().await;
    assert!(
        focused.starts_with("h2#screen-title"),
        "focus moves to the new screen's heading: {focused}"
    );

    // Tab from the top reaches the skip link first, then the navigation; Enter activates.
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
    let first_nav = desk.focused().await;
    assert!(
        first_nav.starts_with("button#nav-start"),
        "the next Tab stop is the first screen: {first_nav}"
    );
    desk.press(Key::Tab).await;
    desk.press(Key::Tab).await;
    desk.press(Key::Enter).await;
    desk.wait_for_text("#screen-title", "Showers & workstations")
        .await;
    let current = desk
        .find("nav button[aria-current=page]")
        .await
        .text()
        .await
        .expect("current");
    assert!(
        current.starts_with("Showers & workstations"),
        "the navigation marks the current screen: {current}"
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
        "the first screen explains the problem: {advice}"
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
