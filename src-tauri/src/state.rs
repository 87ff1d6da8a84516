//! The state every command reaches, and what commands share: the database lock, the
//! change event, the file dialogs. Its own module so that the window's setup (app.rs)
//! and the commands (commands.rs) both use it without importing each other.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use engagement_desk_core::auth::{self, Activity, Session};
use engagement_desk_core::backup;
use engagement_desk_core::clock::ShiftedClock;
use engagement_desk_core::db::{self, Database, WindowLock};
use engagement_desk_core::visits;
use engagement_desk_core::{AppError, ErrorCode, Result};

use crate::{cli, paths};

/// What every command reaches: the database (or why it could not be opened) and the
/// logged-in session. The window opens either way so an error can be shown to a person
/// instead of a crash. The session never leaves the Rust side.
pub struct AppState {
    database: std::result::Result<Mutex<Database>, AppError>,
    session: Mutex<Option<Session>>,
    pub clock: ShiftedClock,
    /// Why the automatic backup at start failed, shown on the start screen.
    pub start_backup_problem: Arc<Mutex<Option<String>>>,
    /// Damage the full read of a large database after start found, shown on the start screen.
    pub integrity_problem: Arc<Mutex<Option<String>>>,
    /// Held while the window runs: one window per database.
    _window_lock: Option<WindowLock>,
}

fn poisoned() -> AppError {
    AppError::new(
        ErrorCode::Internal,
        "an earlier action failed while holding the database; restart the app",
    )
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>> {
    mutex.lock().map_err(|_| poisoned())
}

impl AppState {
    pub fn open(explicit_db: Option<&Path>) -> AppState {
        let clock = app_clock();
        let mut window_lock = None;
        let database = paths::database_path(explicit_db).and_then(|path| {
            window_lock = Some(WindowLock::acquire(&path)?);
            Database::open(&path)
        });
        let start_backup_problem = Arc::new(Mutex::new(None));
        let integrity_problem = Arc::new(Mutex::new(None));
        if let Ok(db) = &database {
            check_and_back_up_in_background(db, &clock, &integrity_problem, &start_backup_problem);
        }
        let database = database.map(Mutex::new);
        if let Err(err) = &database {
            cli::print_error(err);
        }
        AppState {
            database,
            session: Mutex::new(None),
            clock,
            start_backup_problem,
            integrity_problem,
            _window_lock: window_lock,
        }
    }

    /// Whether the database was opened at start (else every command says why not).
    pub fn has_database(&self) -> bool {
        self.database.is_ok()
    }

    /// Run `work` with the database held; the lock is held only for that work.
    pub fn with_db<T>(&self, work: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
        let database = self.database.as_ref().map_err(Clone::clone)?;
        let mut guard = lock(database)?;
        work(&mut guard)
    }

    /// Run `work` with the database and the session slot (always locked in this order).
    pub fn with_session_slot<T>(
        &self,
        work: impl FnOnce(&mut Database, &mut Option<Session>) -> Result<T>,
    ) -> Result<T> {
        self.with_db(|db| {
            let mut slot = lock(&self.session)?;
            work(db, &mut slot)
        })
    }

    /// Run `work` for the logged-in person as `activity` (does it keep the session awake?
    /// see [`Activity`]); `not_authenticated` when nobody is logged in. The first action
    /// or read of a service day first settles what earlier days left open, so no screen
    /// ever shows yesterday's guests inside.
    pub fn with_session<T>(
        &self,
        activity: Activity,
        work: impl FnOnce(&mut Database, &mut Session) -> Result<T>,
    ) -> Result<T> {
        self.with_session_slot(|db, slot| match slot.as_mut() {
            Some(session) => {
                visits::settle_earlier_days(db, &self.clock)?;
                auth::with_activity(session, activity, |session| work(db, session))
            }
            None => Err(AppError::new(ErrorCode::NotAuthenticated, "please log in")),
        })
    }
}

/// After the window is up, on a connection of its own so the desk is not held up: the full
/// read of a large database that opening it left for later (`db::deferred_check`), then the
/// day's first backup (a large database takes seconds to copy). Problems are shown on the
/// start screen, not fatal; a damaged database is not backed up over good backups.
fn check_and_back_up_in_background(
    db: &Database,
    clock: &ShiftedClock,
    integrity_problem: &Arc<Mutex<Option<String>>>,
    backup_problem: &Arc<Mutex<Option<String>>>,
) {
    let Some(path) = db.path().map(Path::to_path_buf) else {
        return;
    };
    let check = db::check_was_deferred(&path);
    // Most starts find today's backup made: no second connection, no copy of the file.
    let back_up = backup::start_backup_due(&path, clock).unwrap_or(true);
    if !check && !back_up {
        return;
    }
    let clock = *clock;
    let (integrity_problem, backup_problem) =
        (Arc::clone(integrity_problem), Arc::clone(backup_problem));
    let report = |slot: &Mutex<Option<String>>, err: AppError| {
        cli::print_error(&err);
        if let Ok(mut slot) = slot.lock() {
            *slot = Some(err.message);
        }
    };
    std::thread::spawn(move || {
        if check {
            // The first screen comes first: the read takes a core for seconds.
            std::thread::sleep(std::time::Duration::from_secs(2));
            if let Err(err) = db::deferred_check(&path) {
                report(&integrity_problem, err);
                return;
            }
        }
        if back_up {
            let outcome = Database::open(&path).and_then(|mut own| {
                backup::automatic_backup(&mut own, &clock, backup::Occasion::Start)
            });
            if let Err(err) = outcome {
                report(&backup_problem, err);
            }
        }
    });
}

/// The real clock; debug builds (the ones the end-to-end tests drive) start at the instant
/// in `ENGAGEMENT_DESK_CLOCK_START` when it is set, so tests do not depend on the hour.
fn app_clock() -> ShiftedClock {
    #[cfg(debug_assertions)]
    if let Some(clock) = std::env::var("ENGAGEMENT_DESK_CLOCK_START")
        .ok()
        .and_then(|text| ShiftedClock::starting_at_text(&text))
    {
        return clock;
    }
    ShiftedClock::default()
}

/// Where an export or a backup goes: the native save dialog (none when the person
/// cancels). Debug builds write into `ENGAGEMENT_DESK_EXPORT_DIR` when it is set, so the
/// end-to-end tests can save without a dialog they cannot drive.
pub fn choose_save_path(
    app: &tauri::AppHandle,
    suggested: &str,
    extension: &str,
) -> Option<std::path::PathBuf> {
    #[cfg(debug_assertions)]
    if let Some(dir) = std::env::var_os("ENGAGEMENT_DESK_EXPORT_DIR") {
        return Some(std::path::PathBuf::from(dir).join(suggested));
    }
    use tauri_plugin_dialog::DialogExt;
    app.dialog()
        .file()
        .set_file_name(suggested)
        .add_filter(extension.to_uppercase(), &[extension])
        .blocking_save_file()
        .and_then(|path| path.into_path().ok())
}

/// A file to open through the native open dialog (none when the person cancels).
pub fn choose_open_path(app: &tauri::AppHandle, extension: &str) -> Option<std::path::PathBuf> {
    use tauri_plugin_dialog::DialogExt;
    app.dialog()
        .file()
        .add_filter(extension.to_uppercase(), &[extension])
        .blocking_pick_file()
        .and_then(|path| path.into_path().ok())
}

/// The event every screen listens to: desk data changed (a check-in, a booking, ...), so
/// boards and lists refresh without a reload.
pub const DESK_CHANGED: &str = "desk-changed";

/// Pass a command's result on, announcing [`DESK_CHANGED`] when it succeeded.
pub fn announce<T>(app: &tauri::AppHandle, result: Result<T>) -> Result<T> {
    if result.is_ok() {
        use tauri::Emitter;
        // Nobody listening is fine; the next load shows the change anyway.
        let _ = app.emit(DESK_CHANGED, ());
    }
    result
}
