//! App start to first screen and resident memory, against a minimal Tauri window.
//!
//! Every start is a fresh world: its own HOME (a temporary folder), its own Xvfb (which
//! picks a free display itself with `-displayfd`), and its own tauri-driver on free ports,
//! which starts WebKitWebDriver, which starts the binary. The clock runs from the
//! new-session request (tauri-driver and WebKitWebDriver already listening, so what is
//! timed is the binary's start, its window, its web view and its page) until the first
//! screen's CSS selector matches in the DOM, polled every [`POLL`]. After [`SETTLE`] the
//! memory of the binary's process and all its descendants (WebKitWebProcess,
//! WebKitNetworkProcess, ...) is read from `/proc`; tauri-driver, WebKitWebDriver and Xvfb
//! are not counted. Then the session is closed and every process group started is killed,
//! also when something failed on the way.
//!
//! The app and the minimal window take turns (ABBA: app first in even rounds, the minimal
//! window first in odd ones), so both see the same machine state; every start is kept.

use crate::stats::percentile;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use thirtyfour::prelude::*;
use thirtyfour::Capabilities;

/// How long both windows are left alone after their first screen before memory is read.
pub const SETTLE: Duration = Duration::from_secs(1);
/// How often the DOM is asked whether the first screen is there.
pub const POLL: Duration = Duration::from_millis(20);
/// A first screen that takes longer than this is a failed start, not a slow one.
const FIRST_SCREEN_TIMEOUT: Duration = Duration::from_secs(30);
/// The same screen for both: the app's window size (src-tauri/tauri.conf.json).
const SCREEN: &str = "1280x800x24";

/// One start of one binary.
#[derive(Debug, Clone)]
pub struct StartupSample {
    /// From the new-session request to the first screen's selector matching.
    pub first_screen: Duration,
    /// From the new-session request to WebKitWebDriver answering it (the window and its
    /// web view exist; the page may still be loading).
    pub session: Duration,
    /// VmRSS summed over the binary's process and its descendants, after [`SETTLE`].
    pub rss_kib: u64,
    /// Proportional set size over the same processes (shared pages divided among the
    /// processes that map them, so shared libraries are not counted once per process);
    /// `None` when `/proc/<pid>/smaps_rollup` could not be read.
    pub pss_kib: Option<u64>,
    /// The processes summed, the binary's own first.
    pub processes: Vec<ProcessMemory>,
    /// Where the time to the first screen went, from the page's own clock; `None` when the
    /// page would not say.
    pub page: Option<PageTiming>,
}

/// The page's navigation timing, moved onto the benchmark's clock (from the new-session
/// request), to within half a WebDriver round trip. Before `navigation_start` the binary starts,
/// sets itself up and opens its window and web view; from `navigation_start` to
/// `dom_content_loaded` the page and its scripts load and run; after that, until the first
/// screen, the page's own start-up (for the app: its first commands and the render).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageTiming {
    pub navigation_start: Duration,
    pub dom_content_loaded: Duration,
}

/// One process of a measured tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMemory {
    pub pid: u32,
    /// `/proc/<pid>/comm` (the kernel cuts it at 15 bytes: "WebKitWebProces").
    pub name: String,
    pub rss_kib: u64,
    pub pss_kib: Option<u64>,
}

/// Every start of one binary, in the order they ran.
#[derive(Debug, Clone, Default)]
pub struct StartupFigures {
    pub samples: Vec<StartupSample>,
}

impl StartupFigures {
    pub fn p50_first_screen(&self) -> Option<Duration> {
        percentile(&self.first_screens(), 50)
    }

    pub fn max_first_screen(&self) -> Option<Duration> {
        self.first_screens().into_iter().max()
    }

    pub fn p50_rss_kib(&self) -> Option<u64> {
        percentile(&self.rss(), 50)
    }

    pub fn max_rss_kib(&self) -> Option<u64> {
        self.rss().into_iter().max()
    }

    /// The median PSS, over the starts where it could be read.
    pub fn p50_pss_kib(&self) -> Option<u64> {
        let pss: Vec<u64> = self.samples.iter().filter_map(|s| s.pss_kib).collect();
        percentile(&pss, 50)
    }

    fn first_screens(&self) -> Vec<Duration> {
        self.samples.iter().map(|s| s.first_screen).collect()
    }

    fn rss(&self) -> Vec<u64> {
        self.samples.iter().map(|s| s.rss_kib).collect()
    }
}

/// The app against the floor, measured in the same run.
#[derive(Debug, Clone, Default)]
pub struct StartupReport {
    pub app: StartupFigures,
    pub minimal: StartupFigures,
}

impl StartupReport {
    /// The app's median start over the minimal window's.
    pub fn start_ratio(&self) -> Option<f64> {
        ratio(
            self.app.p50_first_screen()?.as_secs_f64(),
            self.minimal.p50_first_screen()?.as_secs_f64(),
        )
    }

    /// Start-up within 1.3× of the minimal window and under 1.5 s (issue 10's target).
    pub fn start_met(&self) -> bool {
        self.start_ratio().is_some_and(|r| r <= 1.3)
            && self
                .app
                .p50_first_screen()
                .is_some_and(|d| d < Duration::from_millis(1500))
    }

    /// Resident memory within 1.3× of the minimal window's (issue 10's target).
    pub fn memory_met(&self) -> bool {
        self.rss_ratio().is_some_and(|r| r <= 1.3)
    }

    /// The app's median resident memory over the minimal window's.
    pub fn rss_ratio(&self) -> Option<f64> {
        ratio(
            self.app.p50_rss_kib()? as f64,
            self.minimal.p50_rss_kib()? as f64,
        )
    }

    /// The app's median proportional memory over the minimal window's.
    pub fn pss_ratio(&self) -> Option<f64> {
        ratio(
            self.app.p50_pss_kib()? as f64,
            self.minimal.p50_pss_kib()? as f64,
        )
    }
}

fn ratio(over: f64, under: f64) -> Option<f64> {
    (under > 0.0).then(|| over / under)
}

/// Starts each binary `runs` times, taking turns, each start under its own Xvfb via
/// tauri-driver (WebKitWebDriver); times from the new-session request to the first screen
/// (`*_first_screen_css` matching) being in the DOM, then sums the resident memory of the
/// binary's process and all its descendants (WebKitWebProcess, WebKitNetworkProcess, ...),
/// not counting tauri-driver, WebKitWebDriver or Xvfb; then closes everything.
///
/// `app_args` go on the app's command line (tauri:options args) and `app_env` into its
/// environment (through tauri-driver); the minimal window gets neither. Both get the same
/// sandbox environment (HOME and XDG folders in a fresh temporary folder, DISPLAY, no
/// accessibility bus, no DMA-BUF renderer, as the end-to-end tests do). The first failed
/// start ends the measurement with an error naming it (and the drivers' log).
pub async fn measure(
    app: &Path,
    app_args: &[String],
    app_env: &[(String, String)],
    app_first_screen_css: &str,
    minimal: &Path,
    minimal_first_screen_css: &str,
    runs: usize,
) -> Result<StartupReport, String> {
    if runs == 0 {
        return Err("at least one run is needed".into());
    }
    let app = Subject::new("app", app, app_args, app_env, app_first_screen_css)?;
    let minimal = Subject::new(
        "minimal window",
        minimal,
        &[],
        &[],
        minimal_first_screen_css,
    )?;
    let tauri_driver = tauri_driver();
    let mut report = StartupReport::default();
    for round in 0..runs {
        let app_first = round % 2 == 0;
        for app_turn in [app_first, !app_first] {
            let (subject, figures) = if app_turn {
                (&app, &mut report.app)
            } else {
                (&minimal, &mut report.minimal)
            };
            let sample = start_once(subject, &tauri_driver)
                .await
                .map_err(|err| format!("{} start {} of {runs}: {err}", subject.name, round + 1))?;
            figures.samples.push(sample);
        }
    }
    Ok(report)
}

/// One binary to start, as measured.
struct Subject {
    name: &'static str,
    /// Canonical, as `/proc/<pid>/exe` shows it.
    binary: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    first_screen_css: String,
}

impl Subject {
    fn new(
        name: &'static str,
        binary: &Path,
        args: &[String],
        env: &[(String, String)],
        first_screen_css: &str,
    ) -> Result<Subject, String> {
        let binary = binary
            .canonicalize()
            .map_err(|err| format!("the {name} binary {}: {err}", binary.display()))?;
        Ok(Subject {
            name,
            binary,
            args: args.to_vec(),
            env: env.to_vec(),
            first_screen_css: first_screen_css.to_string(),
        })
    }
}

async fn start_once(subject: &Subject, tauri_driver: &Path) -> Result<StartupSample, String> {
    let home = tempfile::tempdir().map_err(|err| format!("no sandbox HOME: {err}"))?;
    let log = home.path().join("drivers.log");
    let mut processes = Processes::new(log.clone());
    let outcome = drive(subject, tauri_driver, home.path(), &mut processes).await;
    processes.stop();
    outcome.map_err(|err| format!("{err}\n--- drivers' log ---\n{}", read_log(&log)))
}

async fn drive(
    subject: &Subject,
    tauri_driver: &Path,
    home: &Path,
    processes: &mut Processes,
) -> Result<StartupSample, String> {
    let launch = start_drivers(
        &subject.binary,
        &subject.args,
        &subject.env,
        tauri_driver,
        home,
        processes,
    )
    .await?;
    let started = Instant::now();
    let driver = WebDriver::new(launch.url, launch.capabilities)
        .await
        .map_err(|err| format!("no WebDriver session: {err}"))?;
    let session = started.elapsed();
    let outcome = observe(&driver, subject, started, session, launch.driver_pid).await;
    // Closing the session closes the window; whatever is left is killed by `stop`.
    let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
    outcome
}

/// tauri-driver (and WebKitWebDriver behind it) listening under a fresh Xvfb, and the
/// capabilities that start `binary` with `args`.
struct Launch {
    driver_pid: u32,
    url: String,
    capabilities: Capabilities,
}

async fn start_drivers(
    binary: &Path,
    args: &[String],
    env: &[(String, String)],
    tauri_driver: &Path,
    home: &Path,
    processes: &mut Processes,
) -> Result<Launch, String> {
    let display = processes.start_xvfb()?;
    let port = free_port()?;
    let native_port = free_port()?;
    let mut command = Command::new(tauri_driver);
    command
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .env("DISPLAY", &display)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("NO_AT_BRIDGE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let driver_pid = processes.spawn(
        command,
        &format!("tauri-driver ({})", tauri_driver.display()),
    )?;
    // tauri-driver listens at once but starts WebKitWebDriver behind it: wait for both, so
    // neither is in the timing.
    wait_for_port(port).await?;
    wait_for_port(native_port).await?;

    let mut options = serde_json::json!({ "application": binary });
    if !args.is_empty() {
        options["args"] = serde_json::json!(args);
    }
    let mut capabilities = Capabilities::new();
    capabilities
        .set("tauri:options", options)
        .map_err(|err| format!("capabilities: {err}"))?;
    Ok(Launch {
        driver_pid,
        url: format!("http://127.0.0.1:{port}"),
        capabilities,
    })
}

/// The app's window, open under its own Xvfb through tauri-driver, to be driven (the
/// window suite). [`AppWindow::close`] ends the session and every process started.
pub struct AppWindow {
    pub driver: WebDriver,
    binary: PathBuf,
    driver_pid: u32,
    processes: Processes,
    log: PathBuf,
    _home: tempfile::TempDir,
}

impl AppWindow {
    /// Start `binary` with `args` (the same sandbox as the start-up runs) and wait for the
    /// WebDriver session.
    pub async fn open(binary: &Path, args: &[String]) -> Result<AppWindow, String> {
        let binary = binary
            .canonicalize()
            .map_err(|err| format!("the app binary {}: {err}", binary.display()))?;
        let home = tempfile::tempdir().map_err(|err| format!("no sandbox HOME: {err}"))?;
        let log = home.path().join("drivers.log");
        let mut processes = Processes::new(log.clone());
        let launched = async {
            let launch = start_drivers(
                &binary,
                args,
                &[],
                &tauri_driver(),
                home.path(),
                &mut processes,
            )
            .await?;
            let driver = WebDriver::new(launch.url, launch.capabilities)
                .await
                .map_err(|err| format!("no WebDriver session: {err}"))?;
            Ok::<_, String>((driver, launch.driver_pid))
        }
        .await;
        match launched {
            Ok((driver, driver_pid)) => Ok(AppWindow {
                driver,
                binary,
                driver_pid,
                processes,
                log,
                _home: home,
            }),
            Err(err) => {
                processes.stop();
                Err(format!("{err}\n--- drivers' log ---\n{}", read_log(&log)))
            }
        }
    }

    /// Wait (at most `limit`) until the app's own process has used under a tenth of a core
    /// for a whole second: its start-up work in the background (the full read of a large
    /// database, the day's backup) is over, so what is timed next is the desk alone.
    pub async fn wait_until_quiet(&self, limit: Duration) -> Result<Duration, String> {
        let table = ProcTable::read(Path::new("/proc"))?;
        let pid = table.find_descendant_by_exe(self.driver_pid, &self.binary)?;
        let started = Instant::now();
        // The app waits 2 s after its first screen before that read begins.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut last = cpu_ticks(pid)?;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = cpu_ticks(pid)?;
            // Clock ticks are 1/100 s: 10 in a second is a tenth of a core.
            if now.saturating_sub(last) < 10 || started.elapsed() > limit {
                return Ok(started.elapsed());
            }
            last = now;
        }
    }

    /// What tauri-driver, WebKitWebDriver and the app wrote so far.
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// End the session (the window closes) and stop every process started.
    pub async fn close(self) {
        let AppWindow {
            driver,
            mut processes,
            ..
        } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), driver.quit()).await;
        processes.stop();
    }
}

async fn observe(
    driver: &WebDriver,
    subject: &Subject,
    started: Instant,
    session: Duration,
    driver_pid: u32,
) -> Result<StartupSample, String> {
    let first_screen = wait_for_css(driver, &subject.first_screen_css, started).await?;
    let page = page_timing(driver, started).await;
    tokio::time::sleep(SETTLE).await;
    let table = ProcTable::read(Path::new("/proc"))?;
    let pid = table.find_descendant_by_exe(driver_pid, &subject.binary)?;
    let processes = table.tree_memory(pid);
    Ok(StartupSample {
        first_screen,
        session,
        rss_kib: processes.iter().map(|p| p.rss_kib).sum(),
        pss_kib: processes.iter().map(|p| p.pss_kib).sum(),
        processes,
        page,
    })
}

/// The navigation timing of the page, on the benchmark's clock (see [`PageTiming`]).
async fn page_timing(driver: &WebDriver, started: Instant) -> Option<PageTiming> {
    let script = "const n = performance.getEntriesByType('navigation')[0]; \
                  return n ? [performance.now(), n.domContentLoadedEventEnd] : null;";
    let asked = started.elapsed();
    let returned = driver.execute(script, Vec::new()).await.ok()?;
    // The page read its clock somewhere in the round trip: take the middle.
    let now = asked + (started.elapsed() - asked) / 2;
    let values = returned.json().as_array()?;
    let page_now = Duration::try_from_secs_f64(values.first()?.as_f64()? / 1000.0).ok()?;
    let loaded = Duration::try_from_secs_f64(values.get(1)?.as_f64()? / 1000.0).ok()?;
    let navigation_start = now.checked_sub(page_now)?;
    Some(PageTiming {
        navigation_start,
        dom_content_loaded: navigation_start + loaded,
    })
}

/// Time since `started` at which `css` first matches.
async fn wait_for_css(driver: &WebDriver, css: &str, started: Instant) -> Result<Duration, String> {
    let mut last_error = None;
    loop {
        match driver.find_all(By::Css(css)).await {
            Ok(found) if !found.is_empty() => return Ok(started.elapsed()),
            Ok(_) => {}
            Err(err) => last_error = Some(err.to_string()),
        }
        if started.elapsed() > FIRST_SCREEN_TIMEOUT {
            let page = match driver.find(By::Tag("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(err) => format!("(no page: {err})"),
            };
            return Err(format!(
                "{css:?} did not appear within {FIRST_SCREEN_TIMEOUT:?} (last error: {}); the page shows:\n{page}",
                last_error.as_deref().unwrap_or("none")
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A snapshot of the processes under a `/proc`-shaped folder.
#[derive(Debug, Default)]
pub struct ProcTable {
    entries: HashMap<u32, ProcEntry>,
}

#[derive(Debug, Clone)]
struct ProcEntry {
    ppid: u32,
    pgrp: u32,
    state: char,
    name: String,
    rss_kib: u64,
    pss_kib: Option<u64>,
    exe: Option<PathBuf>,
}

impl ProcTable {
    /// Read every process under `root` (normally `/proc`). A process that ends while it is
    /// being read is left out; it has no memory left to count.
    pub fn read(root: &Path) -> Result<ProcTable, String> {
        let listing = std::fs::read_dir(root)
            .map_err(|err| format!("cannot list {}: {err}", root.display()))?;
        let mut entries = HashMap::new();
        for entry in listing.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let dir = entry.path();
            let Some(stat) = std::fs::read_to_string(dir.join("stat"))
                .ok()
                .and_then(|text| parse_stat(&text))
            else {
                continue;
            };
            let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
            // Kernel threads and zombies have no VmRSS line: nothing resident.
            let rss_kib = kib_field(&status, "VmRSS:");
            let pss_kib = match rss_kib {
                None => Some(0),
                Some(_) => std::fs::read_to_string(dir.join("smaps_rollup"))
                    .ok()
                    .and_then(|text| kib_field(&text, "Pss:")),
            };
            entries.insert(
                pid,
                ProcEntry {
                    ppid: stat.ppid,
                    pgrp: stat.pgrp,
                    state: stat.state,
                    name: stat.name,
                    rss_kib: rss_kib.unwrap_or(0),
                    pss_kib,
                    exe: std::fs::read_link(dir.join("exe")).ok(),
                },
            );
        }
        Ok(ProcTable { entries })
    }

    /// `root` and every process below it, `root` first, then by pid.
    pub fn descendants(&self, root: u32) -> Vec<u32> {
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (&pid, entry) in &self.entries {
            children.entry(entry.ppid).or_default().push(pid);
        }
        let mut found = vec![root];
        let mut next = 0;
        while let Some(&pid) = found.get(next) {
            next += 1;
            if let Some(kids) = children.get(&pid) {
                found.extend(kids.iter().copied().filter(|kid| *kid != pid));
            }
        }
        found[1..].sort_unstable();
        found.dedup();
        found
    }

    /// The one process below `ancestor` running `exe`.
    pub fn find_descendant_by_exe(&self, ancestor: u32, exe: &Path) -> Result<u32, String> {
        let matching: Vec<u32> = self
            .descendants(ancestor)
            .into_iter()
            .filter(|pid| *pid != ancestor)
            .filter(|pid| self.entries.get(pid).and_then(|entry| entry.exe.as_deref()) == Some(exe))
            .collect();
        match matching.as_slice() {
            [pid] => Ok(*pid),
            [] => Err(format!(
                "no process running {} below process {ancestor} (the driver); below it: {}",
                exe.display(),
                self.describe(&self.descendants(ancestor))
            )),
            _ => Err(format!(
                "{} processes run {} below process {ancestor}: {matching:?}",
                matching.len(),
                exe.display()
            )),
        }
    }

    /// The memory of `root` and every process below it, `root` first.
    pub fn tree_memory(&self, root: u32) -> Vec<ProcessMemory> {
        self.descendants(root)
            .into_iter()
            .filter_map(|pid| {
                self.entries.get(&pid).map(|entry| ProcessMemory {
                    pid,
                    name: entry.name.clone(),
                    rss_kib: entry.rss_kib,
                    pss_kib: entry.pss_kib,
                })
            })
            .collect()
    }

    /// The live (not zombie) processes in process group `group`.
    pub fn live_in_group(&self, group: u32) -> Vec<u32> {
        let mut pids: Vec<u32> = self
            .entries
            .iter()
            .filter(|(_, entry)| entry.pgrp == group && entry.state != 'Z')
            .map(|(&pid, _)| pid)
            .collect();
        pids.sort_unstable();
        pids
    }

    fn describe(&self, pids: &[u32]) -> String {
        let names: Vec<String> = pids
            .iter()
            .filter_map(|pid| {
                self.entries.get(pid).map(|entry| {
                    let exe = entry
                        .exe
                        .as_deref()
                        .map(|exe| exe.display().to_string())
                        .unwrap_or_default();
                    format!("{pid} {} {exe}", entry.name)
                })
            })
            .collect();
        names.join(", ")
    }
}

struct Stat {
    name: String,
    state: char,
    ppid: u32,
    pgrp: u32,
}

/// User and system CPU time of `pid` so far, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|err| format!("/proc/{pid}/stat: {err}"))?;
    let close = text.rfind(')').ok_or("a stat line without its name")?;
    let fields: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // After the name: state is field 3 of stat(5), utime 14 and stime 15.
    let tick = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok());
    match (tick(11), tick(12)) {
        (Some(user), Some(system)) => Ok(user + system),
        _ => Err(format!("/proc/{pid}/stat has no CPU times")),
    }
}

/// `/proc/<pid>/stat`: `pid (comm) state ppid pgrp ...`; comm may hold spaces and
/// parentheses, so it runs to the last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let name = text.get(open + 1..close)?.to_string();
    let mut fields = text.get(close + 1..)?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(Stat {
        name,
        state,
        ppid,
        pgrp,
    })
}

/// The number of a `Name:   1234 kB` line.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

/// The processes started for one start, each the leader of its own process group; the
/// groups are stopped (TERM, then KILL) by [`Processes::stop`] or on drop.
struct Processes {
    groups: Vec<Child>,
    /// Xvfb's end of `-displayfd`, kept open while it runs.
    _display_pipe: Option<BufReader<ChildStdout>>,
    log: PathBuf,
}

impl Processes {
    fn new(log: PathBuf) -> Processes {
        Processes {
            groups: Vec::new(),
            _display_pipe: None,
            log,
        }
    }

    fn spawn(&mut self, mut command: Command, what: &str) -> Result<u32, String> {
        let log = append(&self.log)?;
        let log_too = log
            .try_clone()
            .map_err(|err| format!("the drivers' log: {err}"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_too)
            .process_group(0)
            .spawn()
            .map_err(|err| format!("{what} does not start: {err}"))?;
        let pid = child.id();
        self.groups.push(child);
        Ok(pid)
    }

    /// An Xvfb of the app's window size on a display it picks itself; returns `:N`.
    fn start_xvfb(&mut self) -> Result<String, String> {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                SCREEN,
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(append(&self.log)?)
            .process_group(0)
            .spawn()
            .map_err(|err| format!("Xvfb does not start (apt-get install xvfb): {err}"))?;
        let stdout = child.stdout.take();
        self.groups.push(child);
        let stdout = stdout.ok_or("Xvfb has no stdout")?;
        // Xvfb writes the display number once it accepts connections. Read it beside this
        // thread so a silent Xvfb cannot hang the benchmark.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let outcome = reader.read_line(&mut line).map(|_| line);
            let _ = sender.send((outcome, reader));
        });
        match receiver.recv_timeout(Duration::from_secs(10)) {
            Ok((Ok(line), reader)) if !line.trim().is_empty() => {
                self._display_pipe = Some(reader);
                Ok(format!(":{}", line.trim()))
            }
            Ok((Ok(_), _)) => Err("Xvfb ended without a display".into()),
            Ok((Err(err), _)) => Err(format!("Xvfb's display number: {err}")),
            Err(_) => Err("Xvfb named no display within 10 s".into()),
        }
    }

    /// TERM every group (newest first) so the window can close, then KILL what is left, and
    /// wait until nothing of them runs, so the next start finds the machine as quiet.
    fn stop(&mut self) {
        for mut child in self.groups.drain(..).rev() {
            let group = child.id();
            signal_group("-TERM", group);
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && !group_gone(group) {
                std::thread::sleep(Duration::from_millis(20));
            }
            signal_group("-KILL", group);
            let _ = child.wait();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && !group_gone(group) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Nothing alive in process group `group` (zombies awaiting their reaper do not count).
fn group_gone(group: u32) -> bool {
    ProcTable::read(Path::new("/proc"))
        .map(|table| table.live_in_group(group).is_empty())
        .unwrap_or(true)
}

/// Send a signal to a whole process group (a group already gone is fine).
fn signal_group(signal: &str, group: u32) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

/// `TAURI_DRIVER`, else `tauri-driver` in Cargo's bin folder, else on the PATH.
fn tauri_driver() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    match cargo_home.map(|cargo| cargo.join("bin").join("tauri-driver")) {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|err| format!("no free local port: {err}"))
}

async fn wait_for_port(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(format!("nothing listened on port {port} within 30 s"))
}

fn append(log: &Path) -> Result<File, String> {
    File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|err| format!("the drivers' log {}: {err}", log.display()))
}

fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|err| format!("(no log: {err})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_nearest_rank() {
        assert_eq!(percentile::<u64>(&[], 50), None);
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[5, 1, 4, 2, 3], 50), Some(3));
        assert_eq!(percentile(&[4, 1, 3, 2], 50), Some(2));
        assert_eq!(percentile(&[5, 1, 4, 2, 3], 100), Some(5));
        assert_eq!(percentile(&[5, 1, 4, 2, 3], 0), Some(1));
        assert_eq!(percentile(&[5, 1, 4, 2, 3], 90), Some(5));
        assert_eq!(percentile(&[5, 1, 4, 2, 3], 20), Some(1));
    }

    #[test]
    fn figures_and_ratios() {
        let sample = |ms: u64, rss: u64| StartupSample {
            first_screen: Duration::from_millis(ms),
            session: Duration::from_millis(ms / 2),
            rss_kib: rss,
            pss_kib: Some(rss / 2),
            processes: Vec::new(),
            page: None,
        };
        let report = StartupReport {
            app: StartupFigures {
                samples: vec![sample(900, 300), sample(700, 320), sample(800, 310)],
            },
            minimal: StartupFigures {
                samples: vec![sample(400, 200), sample(600, 200), sample(500, 200)],
            },
        };
        assert_eq!(
            report.app.p50_first_screen(),
            Some(Duration::from_millis(800))
        );
        assert_eq!(
            report.app.max_first_screen(),
            Some(Duration::from_millis(900))
        );
        assert_eq!(report.app.p50_rss_kib(), Some(310));
        assert_eq!(report.app.max_rss_kib(), Some(320));
        assert_eq!(report.app.p50_pss_kib(), Some(155));
        assert_eq!(report.start_ratio(), Some(1.6));
        assert_eq!(report.rss_ratio(), Some(1.55));
        assert_eq!(StartupReport::default().start_ratio(), None);
    }

    #[test]
    fn stat_lines_with_awkward_names() {
        let stat = parse_stat("4242 (Web Con) (x)) S 17 4242 4242 0 -1 4194560 1 0")
            .unwrap_or_else(|| panic!("parses"));
        assert_eq!(stat.name, "Web Con) (x)");
        assert_eq!((stat.state, stat.ppid, stat.pgrp), ('S', 17, 4242));
        assert!(parse_stat("garbage").is_none());
        assert_eq!(
            kib_field("Name:\tx\nVmRSS:\t  12345 kB\n", "VmRSS:"),
            Some(12345)
        );
        assert_eq!(kib_field("Name:\tkthreadd\n", "VmRSS:"), None);
    }

    /// A fake `/proc`: the driver (10) started WebKitWebDriver (11), which started the app
    /// (20), which started its web and network processes (21, 22); 21 started 23. Xvfb (5)
    /// and an unrelated process (30) stand beside them.
    fn fake_proc() -> tempfile::TempDir {
        let root = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
        let write = |path: PathBuf, text: String| {
            std::fs::write(&path, text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        };
        write(root.path().join("engagement-desk"), String::new());
        write(root.path().join("other"), String::new());
        // pid ppid pgrp state VmRSS(kB, - for none) exe name
        let table = "\
            5 1 5 S 50000 other Xvfb
            10 1 10 S 4000 other tauri-driver
            11 10 10 S 9000 other WebKitWebDriver
            20 11 10 S 100000 engagement-desk engagement-desk
            21 20 10 S 150000 other WebKitWebProces
            22 20 10 S 40000 other WebKitNetworkPr
            23 21 10 Z - other a zombie (child)
            30 1 30 S 1000000 engagement-desk unrelated";
        for line in table.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [pid, ppid, pgrp, state, rss, exe, ..] = fields[..] else {
                panic!("bad fake line {line:?}");
            };
            let name = fields[6..].join(" ");
            let dir = root.path().join(pid);
            std::fs::create_dir(&dir).unwrap_or_else(|err| panic!("{err}"));
            write(
                dir.join("stat"),
                format!("{pid} ({name}) {state} {ppid} {pgrp} {pgrp} 0 -1 0 0"),
            );
            let mut status = format!("Name:\t{name}\nState:\t{state}\n");
            if let Ok(rss) = rss.parse::<u64>() {
                status.push_str(&format!("VmPeak:\t999999 kB\nVmRSS:\t{rss} kB\n"));
                let pss = rss / 2;
                write(
                    dir.join("smaps_rollup"),
                    format!("Rss: {rss} kB\nPss: {pss} kB\n"),
                );
            }
            write(dir.join("status"), status);
            std::os::unix::fs::symlink(root.path().join(exe), dir.join("exe"))
                .unwrap_or_else(|err| panic!("{err}"));
        }
        std::fs::create_dir(root.path().join("self-not-a-pid"))
            .unwrap_or_else(|err| panic!("{err}"));
        root
    }

    #[test]
    fn the_app_tree_is_summed_without_the_drivers() {
        let root = fake_proc();
        let table = ProcTable::read(root.path()).unwrap_or_else(|err| panic!("{err}"));
        let app = table
            .find_descendant_by_exe(10, &root.path().join("engagement-desk"))
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            app, 20,
            "the unrelated process with the same binary is not below the driver"
        );
        let tree = table.tree_memory(app);
        let pids: Vec<u32> = tree.iter().map(|p| p.pid).collect();
        assert_eq!(pids, [20, 21, 22, 23]);
        assert_eq!(tree.iter().map(|p| p.rss_kib).sum::<u64>(), 290_000);
        assert_eq!(
            tree.iter().map(|p| p.pss_kib).sum::<Option<u64>>(),
            Some(145_000)
        );
        assert_eq!(tree[1].name, "WebKitWebProces");
        assert_eq!(table.live_in_group(10), [10, 11, 20, 21, 22]);
        assert!(table.live_in_group(99).is_empty());
        let missing = table.find_descendant_by_exe(10, Path::new("/nowhere/minimal-window"));
        assert!(missing.is_err_and(|err| err.contains("no process running")));
    }
}
