//! End-to-end harness: the real app window under Xvfb, driven through tauri-driver and
//! WebKitWebDriver with thirtyfour.
//!
//! Each [`Desk`] gets its own database (through `ENGAGEMENT_DESK_DB`), its own HOME, its
//! own tauri-driver on free ports, and its own Xvfb unless `DISPLAY` is already set. Every
//! process it starts is in one process group that is killed when the desk closes or drops,
//! so a failing test leaves nothing running. Desks run one at a time.

use std::fs::File;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;
use thirtyfour::Capabilities;
use tokio::sync::{Mutex, MutexGuard};

/// One window at a time: two apps on two cores make timings flaky and gain little.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// How long to wait for something to appear in the window.
/// The instant the app's clock starts at in every end-to-end test: Monday 30 November 2026,
/// 10:04:30 in the center's default zone (America/New_York), so the next booking slot is
/// 10:05, half a minute away.
pub const E2E_CLOCK_START: &str = "2026-11-30T15:04:30Z";

pub const WAIT: Duration = Duration::from_secs(20);

/// A running app window and everything started to drive it.
pub struct Desk {
    pub driver: WebDriver,
    /// The X display the window is on.
    pub display: String,
    pub home: tempfile::TempDir,
    processes: Processes,
    /// Accounts made on the Admin screen that have not logged in yet, with the password the
    /// administrator gave them: their first [`Desk::log_in`] goes through "Choose a new
    /// password", as it does for a person.
    first_logins: std::sync::Mutex<std::collections::HashMap<String, String>>,
    _turn: MutexGuard<'static, ()>,
}

/// The password the administrator gives an account made with [`Desk::create_account`]; the
/// person replaces it with the one the test names at their first login.
pub fn given_password(chosen: &str) -> String {
    format!("given {chosen}")
}

/// The processes behind a desk, killed (with their whole process groups) on drop.
struct Processes {
    groups: Vec<Child>,
    log: PathBuf,
}

impl Drop for Processes {
    fn drop(&mut self) {
        for child in self.groups.iter_mut().rev() {
            let group = format!("-{}", child.id());
            // TERM first so WebKitWebDriver and the app can close cleanly, then KILL.
            signal_group("-TERM", &group);
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            signal_group("-KILL", &group);
            let _ = child.wait();
        }
    }
}

impl Desk {
    /// Start the app on the database at `db` (which may not exist yet, or be a bad file).
    pub async fn launch(db: &Path) -> Desk {
        Desk::launch_with_args(db, &[]).await
    }

    /// Start the app with extra command-line arguments.
    pub async fn launch_with_args(db: &Path, args: &[&str]) -> Desk {
        let turn = ONE_AT_A_TIME.lock().await;
        let home = tempfile::tempdir().expect("sandbox home");
        let log = home.path().join("drivers.log");
        let mut processes = Processes {
            groups: Vec::new(),
            log: log.clone(),
        };

        let display = match std::env::var("DISPLAY") {
            Ok(display) if !display.is_empty() => display,
            _ => {
                let (display, xvfb) = start_xvfb(&log);
                processes.groups.push(xvfb);
                display
            }
        };

        let port = free_port();
        let native_port = free_port();
        let driver_process = Command::new(tauri_driver())
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display)
            .env("ENGAGEMENT_DESK_DB", db)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            // No accessibility bus in CI: keep GTK quiet.
            .env("NO_AT_BRIDGE", "1")
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            // The app's clock starts at 10:04:30 on a Monday in Boston, whenever tests run.
            .env("ENGAGEMENT_DESK_CLOCK_START", E2E_CLOCK_START)
            // Exports skip the native save dialog (which WebDriver cannot drive).
            .env("ENGAGEMENT_DESK_EXPORT_DIR", home.path().join("exports"))
            .stdin(Stdio::null())
            .stdout(append(&log))
            .stderr(append(&log))
            .process_group(0)
            .spawn()
            .expect("tauri-driver starts (cargo install tauri-driver --locked; make test does)");
        processes.groups.push(driver_process);
        // tauri-driver listens at once but starts WebKitWebDriver behind it; wait for both.
        wait_for_port(port, &processes);
        wait_for_port(native_port, &processes);

        let mut options = serde_json::json!({ "application": crate::binary() });
        if !args.is_empty() {
            options["args"] = serde_json::json!(args);
        }
        let mut capabilities = Capabilities::new();
        capabilities
            .set("tauri:options", options)
            .expect("capabilities serialize");
        let driver = match WebDriver::new(format!("http://127.0.0.1:{port}"), capabilities).await {
            Ok(driver) => driver,
            Err(err) => panic!(
                "no WebDriver session: {err}\n--- driver log ---\n{}",
                read_log(&processes.log)
            ),
        };
        Desk {
            driver,
            display,
            home,
            processes,
            first_logins: std::sync::Mutex::default(),
            _turn: turn,
        }
    }

    /// The first element matching `selector`, waiting for it to appear.
    pub async fn find(&self, selector: &str) -> WebElement {
        match self
            .driver
            .query(By::Css(selector))
            .wait(WAIT, Duration::from_millis(100))
            .first()
            .await
        {
            Ok(element) => element,
            Err(err) => panic!(
                "nothing matches {selector:?}: {err}\n--- page text ---\n{}\n--- driver log ---\n{}",
                self.page_text().await,
                read_log(&self.processes.log)
            ),
        }
    }

    /// Wait until the element matching `selector` contains `text`, and return its text.
    pub async fn wait_for_text(&self, selector: &str, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let current = match self.driver.find(By::Css(selector)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if current.contains(text) {
                return current;
            }
            if Instant::now() > deadline {
                panic!(
                    "{selector:?} never showed {text:?}; it shows {current:?}\n--- page text ---\n{}",
                    self.page_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The input labelled `label` (exact visible label text), as a person finds it.
    pub async fn field(&self, label: &str) -> WebElement {
        let label_element = self
            .find_xpath(&format!(
                "//label[normalize-space()={}]",
                xpath_literal(label)
            ))
            .await;
        let target = label_element
            .attr("for")
            .await
            .expect("label attribute")
            .unwrap_or_else(|| panic!("the label {label:?} is not tied to an input"));
        self.find(&format!("#{target}")).await
    }

    /// Type into the input labelled `label`.
    pub async fn type_into(&self, label: &str, text: &str) {
        let input = self.field(label).await;
        input.clear().await.expect("clear");
        input.send_keys(text).await.expect("typing");
    }

    /// Choose the option whose visible text is `option` in the select labelled `label`.
    pub async fn choose(&self, label: &str, option: &str) {
        let select = self.field(label).await;
        let xpath = format!("option[normalize-space()={}]", xpath_literal(option));
        match select.find(By::XPath(xpath)).await {
            Ok(choice) => choice.click().await.expect("choosing"),
            Err(err) => panic!("{label:?} offers no {option:?}: {err}"),
        }
    }

    /// Click the button whose visible text is `text`, scrolled to the middle of the window
    /// first, as a person would look at it before clicking.
    pub async fn click_button(&self, text: &str) {
        let button = self
            .find_xpath(&format!(
                "//button[normalize-space()={}]",
                xpath_literal(text)
            ))
            .await;
        self.driver
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![button.to_json().expect("element as an argument")],
            )
            .await
            .expect("scroll");
        if let Err(err) = button.click().await {
            panic!(
                "clicking {text:?} failed: {err}\n--- page text ---\n{}",
                self.page_text().await
            );
        }
    }

    async fn find_xpath(&self, xpath: &str) -> WebElement {
        match self
            .driver
            .query(By::XPath(xpath))
            .wait(WAIT, Duration::from_millis(100))
            .first()
            .await
        {
            Ok(element) => element,
            Err(err) => panic!(
                "nothing matches {xpath}: {err}\n--- page text ---\n{}",
                self.page_text().await
            ),
        }
    }

    /// Launch on a new database and create the first administrator, avery ("Avery Admin").
    pub async fn launch_as_first_admin(db: &Path, password: &str) -> Desk {
        let desk = Desk::launch(db).await;
        desk.create_first_admin("avery", "Avery Admin", password)
            .await;
        desk
    }

    /// Go to a screen with its Alt+digit shortcut and wait for its title.
    pub async fn open_screen(&self, key: &str, title: &str) {
        self.press(Key::Alt + key).await;
        self.wait_for_text("#screen-title", title).await;
    }

    /// Create the first administrator through the first-run screen.
    pub async fn create_first_admin(&self, username: &str, name: &str, password: &str) {
        self.wait_for_text("h2", "Create the first administrator")
            .await;
        self.type_into("Username", username).await;
        self.type_into("Display name", name).await;
        self.type_into(
            "Password (at least 12 characters; a few words work well)",
            password,
        )
        .await;
        self.type_into("Password again", password).await;
        self.press(Key::Enter).await;
        self.wait_for_text("[data-testid=signed-in-as]", name).await;
    }

    /// Create an account with one role on the Admin screen (which must be showing). The
    /// administrator gives it [`given_password`]`(password)`; the account's first
    /// [`Desk::log_in`] chooses `password` on the change-password screen.
    pub async fn create_account(&self, username: &str, name: &str, role: &str, password: &str) {
        let given = given_password(password);
        self.type_into("Username", username).await;
        self.type_into("Display name", name).await;
        self.find(&format!(
            "#new-staff-heading ~ form input[type=checkbox][value={role}]"
        ))
        .await
        .click()
        .await
        .expect("role");
        self.type_into("Password (at least 12 characters)", &given)
            .await;
        self.click_button("Create account").await;
        self.wait_for_text("[role=status]", &format!("Created {username}"))
            .await;
        self.first_logins
            .lock()
            .expect("first logins")
            .insert(username.to_string(), given);
    }

    /// An administrator reset `username`'s password before its first login: the test
    /// walks that login itself.
    pub fn password_was_reset(&self, username: &str) {
        self.first_logins
            .lock()
            .expect("first logins")
            .remove(username);
    }

    /// Log in through the login screen (without waiting for the outcome). A new account's
    /// first login uses the password it was given, chooses `password` on the
    /// change-password screen that comes first, and waits for the start screen.
    pub async fn log_in(&self, username: &str, password: &str) {
        let given = self
            .first_logins
            .lock()
            .expect("first logins")
            .remove(username);
        self.wait_for_text("h2", "Log in").await;
        self.type_into("Username", username).await;
        self.type_into("Password", given.as_deref().unwrap_or(password))
            .await;
        self.press(Key::Enter).await;
        if let Some(given) = given {
            self.wait_for_text("h2", "Choose a new password").await;
            self.type_into("Current password", &given).await;
            self.type_into("New password (at least 12 characters)", password)
                .await;
            self.type_into("New password again", password).await;
            self.press(Key::Enter).await;
            // The password is chosen: the app opens on its start screen.
            self.wait_for_text("#screen-title", "Start").await;
        }
    }

    /// The labels of the navigation buttons, in order.
    pub async fn nav_labels(&self) -> Vec<String> {
        let mut labels = Vec::new();
        for button in self
            .driver
            .find_all(By::Css("nav button"))
            .await
            .expect("nav")
        {
            let text = button.text().await.expect("label");
            labels.push(
                text.split("Alt+")
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            );
        }
        labels
    }

    /// All visible text of the page (for failure messages).
    pub async fn page_text(&self) -> String {
        match self.driver.find(By::Tag("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(err) => format!("(no page: {err})"),
        }
    }

    /// Describe the focused element as `tag#id.text` so tests can follow keyboard focus.
    pub async fn focused(&self) -> String {
        let value = self
            .driver
            .execute(
                "const e = document.activeElement; \
                 return e ? (e.tagName.toLowerCase() + '#' + (e.id || '') + ' ' + (e.textContent || '').trim()) : '';",
                Vec::new(),
            )
            .await
            .expect("script runs");
        value.json().as_str().unwrap_or_default().to_string()
    }

    /// Where exports land (debug builds skip the save dialog in the tests).
    pub fn exports(&self) -> PathBuf {
        self.home.path().join("exports")
    }

    /// Register a new guest with a nickname and check them in from the front desk screen
    /// (which must be showing): Alt+N, the nickname, Enter.
    pub async fn register_guest(&self, nickname: &str) {
        self.press(Key::Alt + "n").await;
        self.type_into("Nickname", nickname).await;
        self.press(Key::Enter).await;
        self.wait_for_text(
            "[data-testid=desk-notice]",
            &format!("Registered and checked in {nickname}"),
        )
        .await;
    }

    /// Run axe-core (ui/node_modules/axe-core, installed by `npm ci`) with the WCAG 2.1 A and
    /// AA rules on what the window shows now; fails on any serious or critical violation,
    /// naming the rule and the first elements it found.
    pub async fn assert_accessible(&self, context: &str) {
        let loaded = self
            .driver
            .execute("return typeof window.axe === 'object';", Vec::new())
            .await
            .expect("script runs");
        if loaded.json() != &serde_json::json!(true) {
            let source = std::fs::read_to_string(
                PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                    .join("../ui/node_modules/axe-core/axe.min.js"),
            )
            .expect("axe-core is installed (npm ci in ui/)");
            self.driver
                .execute(&source, Vec::new())
                .await
                .expect("axe-core loads into the page");
        }
        let outcome = self
            .driver
            .execute(
                "return window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
                   .then((result) => result.violations
                     .filter((v) => v.impact === 'serious' || v.impact === 'critical')
                     .map((v) => ({ rule: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ')) })),
                         (error) => [{ rule: 'axe failed', help: String(error) }]);",
                Vec::new(),
            )
            .await
            .expect("axe-core runs");
        let violations = outcome.json().as_array().cloned().unwrap_or_default();
        assert!(
            violations.is_empty(),
            "{context}: serious or critical WCAG 2.1 A/AA violations: {violations:#?}"
        );
    }

    /// Call a command the way the web view does, bypassing the screens (to show that Rust
    /// refuses what the UI does not offer). Returns `Ok(value)` or `Err({code, message})`.
    pub async fn invoke(
        &self,
        command: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let outcome = self
            .driver
            .execute(
                "return window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])                  .then((value) => ({ ok: value ?? null }), (error) => ({ err: error }));",
                vec![serde_json::json!(command), args],
            )
            .await
            .expect("script runs");
        let value = outcome.json().clone();
        match value.get("err") {
            Some(err) => Err(err.clone()),
            None => Ok(value.get("ok").cloned().unwrap_or_default()),
        }
    }

    /// Press keys on whatever has the focus (modifiers are held until the keys end).
    pub async fn press(&self, keys: impl Into<TypingData>) {
        let focused = self
            .driver
            .active_element()
            .await
            .expect("an element has the focus");
        focused.send_keys(keys).await.expect("keys are sent");
    }

    /// Save a screenshot of the display (for people to look at, not for assertions).
    /// ImageMagick's `import` reads what X shows; WebKitWebDriver's own screenshot can
    /// return a frame painted before the last change.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        std::fs::create_dir_all(&folder).expect("screenshot folder");
        let path = folder.join(format!("{name}.png"));
        tokio::time::sleep(Duration::from_millis(300)).await; // let the last change paint
        let imported = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !imported {
            self.driver.screenshot(&path).await.expect("screenshot");
        }
        path
    }

    /// Close the window and stop every process the desk started.
    pub async fn close(self) {
        let Desk {
            driver, processes, ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
        drop(processes);
    }
}

/// Send a signal to a whole process group (a group already gone is fine).
fn signal_group(signal: &str, group: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", group])
        .stderr(Stdio::null())
        .status();
}

/// Quote text for XPath (handles both kinds of quote).
fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|part| format!("'{part}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

fn tauri_driver() -> PathBuf {
    if let Ok(path) = std::env::var("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let in_cargo_home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .map(|cargo| cargo.join("bin").join("tauri-driver"));
    match in_cargo_home {
        Ok(path) if path.exists() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

fn start_xvfb(log: &Path) -> (String, Child) {
    for number in 90..200 {
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
        if socket.exists() || lock.exists() {
            continue;
        }
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(append(log))
            .stderr(append(log))
            .process_group(0)
            .spawn()
            .expect("Xvfb starts (apt-get install xvfb; make test does)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if socket.exists() {
                return (display, child);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut child = child;
        signal_group("-KILL", &format!("-{}", child.id()));
        let _ = child.wait();
    }
    panic!("no free X display for Xvfb\n{}", read_log(log));
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free local port")
}

fn wait_for_port(port: u16, processes: &Processes) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "tauri-driver did not listen on {port}\n{}",
        read_log(&processes.log)
    );
}

fn append(log: &Path) -> File {
    File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file")
}

fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|err| format!("(no log: {err})"))
}
