//! Staff accounts, roles, the permission table, passwords, login, lockout and sessions.
//!
//! The session lives on the Rust side; the web view never holds anything that grants
//! access. Every operation calls [`authorize`] first, which re-reads the account, so a
//! disabled account or changed roles take effect on the very next action.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::audit::{self, Event, Outcome};
use crate::clock::Clock;
use crate::db::Database;
use crate::error::{AppError, ErrorCode, Result};

pub(crate) mod password;
mod storage;

pub use password::{check_password_policy, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// Consecutive failures that lock an account.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// How long a lockout lasts.
pub const LOCKOUT: Duration = Duration::minutes(15);
/// The longest a session lives, however active.
pub const SESSION_ABSOLUTE_LIMIT: Duration = Duration::hours(12);
/// Idle lock bounds and default, in minutes.
pub const IDLE_LOCK_DEFAULT_MINUTES: u32 = 10;
pub const IDLE_LOCK_MIN_MINUTES: u32 = 1;
pub const IDLE_LOCK_MAX_MINUTES: u32 = 60;
/// The settings key of the idle-lock time.
pub const IDLE_LOCK_SETTING: &str = "idle_lock_minutes";

/// A staff role. A person may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    FrontDesk,
    Nurse,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::FrontDesk, Role::Nurse, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::FrontDesk => "front_desk",
            Role::Nurse => "nurse",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                AppError::invalid_input(
                    "role",
                    format!("{text:?} is not a role (front_desk, nurse, supervisor, admin)"),
                )
            })
    }
}

/// Everything a person can ask the app to do, one entry per row of the permission matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    GuestsCheckIn,
    SeeAlerts,
    ManageRestrictions,
    BookServices,
    ManageResources,
    QueueAddAndView,
    QueueServe,
    ReadClinicalNotes,
    RecordIncidents,
    ReferralsGeneral,
    ReferralsClinical,
    Reports,
    AuditView,
    UnlockAccounts,
    AdminStaff,
    AdminSettings,
    OverrideCapacity,
    MergeGuests,
    CloseDay,
    Backups,
}

use Role::{Admin, FrontDesk, Nurse, Supervisor};

/// The permission matrix (DESIGN.md §4), in one place. Anything not listed is refused.
const PERMISSIONS: &[(Operation, &[Role])] = &[
    (Operation::GuestsCheckIn, &[FrontDesk, Nurse, Supervisor]),
    (Operation::SeeAlerts, &[FrontDesk, Nurse, Supervisor]),
    (Operation::ManageRestrictions, &[Supervisor]),
    (Operation::BookServices, &[FrontDesk, Supervisor]),
    (Operation::ManageResources, &[Supervisor]),
    (Operation::QueueAddAndView, &[FrontDesk, Nurse, Supervisor]),
    (Operation::QueueServe, &[Nurse]),
    (Operation::ReadClinicalNotes, &[Nurse, Supervisor]),
    (Operation::RecordIncidents, &[Nurse, Supervisor]),
    (Operation::ReferralsGeneral, &[FrontDesk, Nurse, Supervisor]),
    (Operation::ReferralsClinical, &[Nurse, Supervisor]),
    (Operation::Reports, &[Supervisor]),
    (Operation::AuditView, &[Supervisor, Admin]),
    // Supervisors run the floor when no administrator is there.
    (Operation::UnlockAccounts, &[Supervisor, Admin]),
    (Operation::AdminStaff, &[Admin]),
    (Operation::AdminSettings, &[Admin]),
    // Letting someone in when the building is full is the supervisor's call.
    (Operation::OverrideCapacity, &[Supervisor]),
    (Operation::MergeGuests, &[Supervisor]),
    (Operation::CloseDay, &[Supervisor]),
    // Backups and restore are the administrator's (DESIGN.md §4: "staff accounts, settings, backups").
    (Operation::Backups, &[Admin]),
];

/// True when any of `roles` may perform `operation`.
pub fn allows(roles: &[Role], operation: Operation) -> bool {
    PERMISSIONS
        .iter()
        .find(|(op, _)| *op == operation)
        .is_some_and(|(_, allowed)| roles.iter().any(|role| allowed.contains(role)))
}

/// Who is acting: a logged-in staff member, or the command line (break-glass, audited with
/// the operating-system user).
#[derive(Debug)]
pub enum Actor<'a> {
    Staff(&'a mut Session),
    Cli { os_user: String },
}

impl Actor<'_> {
    pub fn audit_name(&self) -> String {
        match self {
            Actor::Staff(session) => format!("staff:{}", session.username),
            Actor::Cli { os_user } => format!("os:{os_user}"),
        }
    }
}

/// A logged-in staff member, held by the Rust side only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub staff_id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
    pub started_at: DateTime<Utc>,
    pub last_activity: DateTime<Utc>,
    pub locked: bool,
}

/// What the UI may know about the session (no secrets: nothing here grants anything).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
    pub locked: bool,
    pub idle_lock_minutes: u32,
}

/// A staff account as administrators see it (never the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct StaffSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub locked_until: Option<String>,
    pub failed_logins: u32,
}

/// A new account's details.
#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// The row the storage code returns for one account.
#[derive(Debug, Clone)]
pub(crate) struct StaffRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub must_change_password: bool,
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl StaffRecord {
    fn summary(&self) -> StaffSummary {
        StaffSummary {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            roles: self.roles.clone(),
            disabled: self.disabled,
            must_change_password: self.must_change_password,
            locked_until: self.locked_until.map(|at| at.to_rfc3339()),
            failed_logins: self.failed_logins,
        }
    }
}

/// The one answer to every refused login: an unknown username, a wrong password and a locked
/// account read the same, so the login form does not tell which usernames exist.
pub const LOGIN_REFUSED: &str = "the username or password is not right, or the account is locked after too many wrong passwords (it opens again after 15 minutes, or a supervisor can unlock it)";

/// What the audit log records as the object of a login for a username that does not exist:
/// never the text typed, which may be a password typed into the wrong box.
pub const UNKNOWN_USERNAME: &str = "unknown username";

/// True when the database has no staff yet: the app then offers to create the first
/// administrator, and nothing else.
pub fn needs_first_admin(db: &Database) -> Result<bool> {
    Ok(storage::count_staff(db.conn())? == 0)
}

/// Create the first administrator; refused once any account exists.
pub fn create_first_admin(
    db: &mut Database,
    clock: &dyn Clock,
    username: &str,
    display_name: &str,
    password: &str,
    password_repeat: &str,
) -> Result<Session> {
    if password != password_repeat {
        return Err(AppError::invalid_input(
            "password",
            "the two passwords are not the same",
        ));
    }
    let new = NewStaff {
        username: username.to_string(),
        display_name: display_name.to_string(),
        roles: vec![Role::Admin],
        password: password.to_string(),
    };
    let (username, display_name) = validate_names(&new.username, &new.display_name)?;
    check_password_policy(&new.password, &username, &display_name)?;
    let hash = password::hash(&new.password)?;
    let now = clock.now();
    let id = db.write(|tx| {
        if storage::count_staff(tx)? > 0 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "an administrator already exists; log in instead",
            ));
        }
        let id = storage::insert_staff(
            tx,
            &username,
            &display_name,
            &hash,
            &[Role::Admin],
            false,
            now,
        )?;
        audit::record(
            tx,
            &Event {
                at: now,
                actor: &format!("staff:{username}"),
                action: "staff.create_first_admin",
                object: &format!("staff:{username}"),
                outcome: Outcome::Ok,
                detail: "roles=admin",
            },
        )?;
        Ok(id)
    })?;
    Ok(Session {
        staff_id: id,
        username,
        display_name,
        roles: vec![Role::Admin],
        must_change_password: false,
        started_at: now,
        last_activity: now,
        locked: false,
    })
}

/// Log in. Five failures in a row lock the account for 15 minutes; a success resets the
/// count; disabled accounts cannot log in. Every outcome is audited.
pub fn login(
    db: &mut Database,
    clock: &dyn Clock,
    username: &str,
    password: &str,
) -> Result<Session> {
    let now = clock.now();
    let username = username.trim();
    if username.is_empty() || password.is_empty() {
        return Err(AppError::invalid_input(
            "login",
            "enter a username and a password",
        ));
    }
    if username.chars().count() > 64 || password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(AppError::new(ErrorCode::NotAuthenticated, LOGIN_REFUSED));
    }
    let Some(record) = storage::find_by_username(db.conn(), username)? else {
        // Hash anyway so an unknown user takes as long as a wrong password.
        password::burn_time(password);
        audit::record_alone(db, &login_event(now, UNKNOWN_USERNAME, Outcome::Failed, ""))?;
        return Err(AppError::new(ErrorCode::NotAuthenticated, LOGIN_REFUSED));
    };
    let name = record.username.clone();
    if locked_out(&record, now) {
        // As slow as a wrong password, and worded the same.
        password::burn_time(password);
        audit::record_alone(
            db,
            &login_event(now, &name, Outcome::Refused, "account locked"),
        )?;
        return Err(AppError::new(ErrorCode::NotAuthenticated, LOGIN_REFUSED));
    }
    if !check_password(db, now, &record, password, ("anonymous", "login", &name))? {
        return Err(AppError::new(ErrorCode::NotAuthenticated, LOGIN_REFUSED));
    }
    if record.disabled {
        audit::record_alone(
            db,
            &login_event(now, &name, Outcome::Refused, "account disabled"),
        )?;
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "this account is disabled; ask an administrator",
        ));
    }
    // Hashes made with weaker parameters are upgraded now that the password is known.
    let upgraded = if password::needs_rehash(&record.password_hash) {
        Some(password::hash(password)?)
    } else {
        None
    };
    db.write(|tx| {
        storage::record_success(tx, record.id, upgraded.as_deref(), now)?;
        audit::record(tx, &login_event(now, &name, Outcome::Ok, ""))
    })?;
    Ok(Session {
        staff_id: record.id,
        username: record.username,
        display_name: record.display_name,
        roles: record.roles,
        must_change_password: record.must_change_password,
        started_at: now,
        last_activity: now,
        locked: false,
    })
}

/// True while a lockout is running.
fn locked_out(record: &StaffRecord, now: DateTime<Utc>) -> bool {
    record.locked_until.is_some_and(|until| until > now)
}

/// Check a password typed for `record`'s account: the login form, the lock screen and
/// "change my password" all come here, so they share one failure count and one limit.
/// A wrong password is counted and audited (`actor` did `action` on `object`), and the fifth in a
/// row locks the account for 15 minutes. The caller refuses a running lockout before asking,
/// and clears the count after a right password in the transaction of what it lets happen.
fn check_password(
    db: &mut Database,
    now: DateTime<Utc>,
    record: &StaffRecord,
    typed: &str,
    (actor, action, object): (&str, &str, &str),
) -> Result<bool> {
    if password::verify(typed, &record.password_hash)? {
        return Ok(true);
    }
    // A lockout that has run out starts the count afresh.
    let earlier = if record.locked_until.is_some() {
        0
    } else {
        record.failed_logins
    };
    let failures = earlier + 1;
    let lock = failures >= MAX_FAILED_LOGINS;
    db.write(|tx| {
        storage::record_failure(tx, record.id, failures, lock.then(|| now + LOCKOUT), now)?;
        audit::record(
            tx,
            &Event {
                at: now,
                actor,
                action,
                object,
                outcome: Outcome::Failed,
                detail: "wrong password",
            },
        )?;
        if lock {
            audit::record(
                tx,
                &Event {
                    at: now,
                    actor: "system",
                    action: "staff.lockout",
                    object: &format!("staff:{}", record.username),
                    outcome: Outcome::Ok,
                    detail: &format!("after {failures} wrong passwords in a row, for 15 minutes"),
                },
            )?;
        }
        Ok(())
    })?;
    Ok(false)
}

/// The words for a lockout that a logged-in person runs into (on the lock screen or in
/// "change my password"): they already proved who they are, so saying it reveals nothing.
fn lockout_error(record: &StaffRecord, now: DateTime<Utc>) -> AppError {
    let minutes = record
        .locked_until
        .map_or(0, |until| ((until - now).num_seconds() + 59) / 60);
    AppError::new(
        ErrorCode::NotAuthenticated,
        format!("this account is locked after too many wrong passwords; try again in {minutes} minutes or ask a supervisor to unlock it"),
    )
}

fn login_event<'a>(
    at: DateTime<Utc>,
    username: &'a str,
    outcome: Outcome,
    detail: &'a str,
) -> Event<'a> {
    Event {
        at,
        actor: "anonymous",
        action: "login",
        object: username,
        outcome,
        detail,
    }
}

/// The idle-lock time in minutes (setting `idle_lock_minutes`, 1–60, default 10).
pub fn idle_lock_minutes(db: &Database) -> Result<u32> {
    Ok(crate::settings::read_whole(
        db,
        IDLE_LOCK_SETTING,
        IDLE_LOCK_MIN_MINUTES..=IDLE_LOCK_MAX_MINUTES,
        IDLE_LOCK_DEFAULT_MINUTES,
    ))
}

/// What a command is to the idle lock. Only what a person does keeps a session awake:
/// a screen that reloads by itself (a timer, a change event from another desk, a screen's
/// own first load) must not, or a desk left open on a busy day would never lock. Each
/// window command says which it is (src-tauri/src/commands.rs); the idle time itself is
/// checked here, in Rust, whatever the window's own timer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// A person did something: a change, a search typed, a record opened, a report asked for.
    Person,
    /// The screen reloaded by itself: checked against the idle time like anything else, but
    /// it leaves the session's last activity where it was.
    Refresh,
}

/// Run `work` (which authorizes as usual) for `session` as `activity`: a refresh that
/// passes leaves the idle timer where the person left it.
pub fn with_activity<T>(
    session: &mut Session,
    activity: Activity,
    work: impl FnOnce(&mut Session) -> Result<T>,
) -> Result<T> {
    let person_was_last_active = session.last_activity;
    let result = work(session);
    if activity == Activity::Refresh {
        session.last_activity = person_was_last_active;
    }
    result
}

/// Check that the session may still act at all, whatever it asks: the absolute limit (ends
/// the session), the idle time (locks it), and the account as stored now (a disabled
/// account's session ends). Returns the account. Refusals are audited.
fn check_session(
    db: &mut Database,
    now: DateTime<Utc>,
    session: &mut Session,
) -> Result<StaffRecord> {
    let actor = format!("staff:{}", session.username);
    if now - session.started_at > SESSION_ABSOLUTE_LIMIT {
        audit::record_alone(
            db,
            &Event {
                at: now,
                actor: &actor,
                action: "session.expired",
                object: &actor,
                outcome: Outcome::Ok,
                detail: "12-hour limit",
            },
        )?;
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "the session has ended after 12 hours; log in again",
        ));
    }
    if session.locked {
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "the screen is locked; unlock it with your password",
        ));
    }
    let idle = Duration::minutes(i64::from(idle_lock_minutes(db)?));
    if now - session.last_activity > idle {
        session.locked = true;
        audit::record_alone(
            db,
            &Event {
                at: now,
                actor: &actor,
                action: "session.idle_lock",
                object: &actor,
                outcome: Outcome::Ok,
                detail: "",
            },
        )?;
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "the screen locked after being idle; unlock it with your password",
        ));
    }
    let record = storage::find_by_id(db.conn(), session.staff_id)?;
    let Some(record) = record.filter(|record| !record.disabled) else {
        audit::record_alone(
            db,
            &Event {
                at: now,
                actor: &actor,
                action: "session.ended",
                object: &actor,
                outcome: Outcome::Refused,
                detail: "account disabled",
            },
        )?;
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "this account has been disabled; ask an administrator",
        ));
    };
    session.roles.clone_from(&record.roles);
    session.display_name.clone_from(&record.display_name);
    session.must_change_password = record.must_change_password;
    Ok(record)
}

/// Check that the session may do `operation` now, and mark it active. Refusals are audited.
///
/// Order: the session itself ([`check_session`]: absolute limit, idle time, the account as
/// stored now), a password still to be chosen, then the permission table. Whether the
/// action counts as a person's activity is the caller's [`with_activity`].
pub fn authorize(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    operation: Operation,
) -> Result<()> {
    let now = clock.now();
    check_session(db, now, session)?;
    if session.must_change_password {
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "choose a new password before continuing",
        ));
    }
    if !allows(&session.roles, operation) {
        let detail = format!("{operation:?}");
        let actor = format!("staff:{}", session.username);
        audit::record_alone(
            db,
            &Event {
                at: now,
                actor: &actor,
                action: "permission.refused",
                object: &detail,
                outcome: Outcome::Refused,
                detail: "",
            },
        )?;
        return Err(AppError::new(
            ErrorCode::PermissionDenied,
            "your role does not allow this",
        ));
    }
    session.last_activity = now;
    Ok(())
}

/// Authorize any actor: staff through [`authorize`]; the command line is allowed staff
/// administration and audit verification only (break-glass for whoever has the machine).
pub fn authorize_actor(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    operation: Operation,
) -> Result<()> {
    match actor {
        Actor::Staff(session) => authorize(db, clock, session, operation),
        Actor::Cli { .. }
            if matches!(
                operation,
                Operation::AdminStaff
                    | Operation::AuditView
                    | Operation::UnlockAccounts
                    | Operation::Backups
            ) =>
        {
            Ok(())
        }
        Actor::Cli { .. } => Err(AppError::new(
            ErrorCode::PermissionDenied,
            "the command line cannot do this",
        )),
    }
}

/// Unlock an idle-locked session with the same person's password. Wrong passwords count
/// toward the account's lockout exactly like the login form's; a locked account stays
/// locked until its lockout runs out or a supervisor lifts it.
pub fn unlock_session(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    password: &str,
) -> Result<()> {
    let now = clock.now();
    let record = storage::find_by_id(db.conn(), session.staff_id)?.ok_or_else(|| {
        AppError::new(ErrorCode::NotAuthenticated, "this account no longer exists")
    })?;
    let actor = format!("staff:{}", session.username);
    let refuse = |db: &mut Database, detail: &str| {
        audit::record_alone(
            db,
            &Event {
                at: now,
                actor: &actor,
                action: "session.unlock",
                object: &actor,
                outcome: Outcome::Refused,
                detail,
            },
        )
    };
    if now - session.started_at > SESSION_ABSOLUTE_LIMIT {
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "the session has ended after 12 hours; log in again",
        ));
    }
    if record.disabled {
        refuse(db, "account disabled")?;
        return Err(AppError::new(
            ErrorCode::NotAuthenticated,
            "this account has been disabled; ask an administrator",
        ));
    }
    if locked_out(&record, now) {
        refuse(db, "account locked")?;
        return Err(lockout_error(&record, now));
    }
    if !check_password(
        db,
        now,
        &record,
        password,
        (&actor, "session.unlock", &actor),
    )? {
        return Err(lockout_after_failure(db, &record, now)?.unwrap_or_else(|| {
            AppError::new(ErrorCode::NotAuthenticated, "that password is not right")
        }));
    }
    db.write(|tx| {
        storage::record_success(tx, record.id, None, now)?;
        audit::record(
            tx,
            &Event {
                at: now,
                actor: &actor,
                action: "session.unlock",
                object: &actor,
                outcome: Outcome::Ok,
                detail: "",
            },
        )
    })?;
    session.locked = false;
    session.last_activity = now;
    Ok(())
}

/// After a wrong password from someone already logged in: the lockout's error when that
/// password was the one that locked the account.
fn lockout_after_failure(
    db: &Database,
    record: &StaffRecord,
    now: DateTime<Utc>,
) -> Result<Option<AppError>> {
    let stored = storage::find_by_id(db.conn(), record.id)?;
    Ok(stored
        .filter(|stored| locked_out(stored, now))
        .map(|locked| lockout_error(&locked, now)))
}

/// Lock the screen now (the window's idle timer asks for this; [`authorize`] also locks a
/// session that has been idle too long on its next action).
pub fn lock_session(db: &mut Database, clock: &dyn Clock, session: &mut Session) -> Result<()> {
    if session.locked {
        return Ok(());
    }
    session.locked = true;
    let actor = format!("staff:{}", session.username);
    audit::record_alone(
        db,
        &Event {
            at: clock.now(),
            actor: &actor,
            action: "session.idle_lock",
            object: &actor,
            outcome: Outcome::Ok,
            detail: "locked by the window",
        },
    )
}

/// Record a logout (the caller drops the session).
pub fn logout(db: &mut Database, clock: &dyn Clock, session: &Session) -> Result<()> {
    let actor = format!("staff:{}", session.username);
    audit::record_alone(
        db,
        &Event {
            at: clock.now(),
            actor: &actor,
            action: "logout",
            object: &actor,
            outcome: Outcome::Ok,
            detail: "",
        },
    )
}

/// What the UI may show about a session.
pub fn session_info(db: &Database, session: &Session) -> Result<SessionInfo> {
    Ok(SessionInfo {
        username: session.username.clone(),
        display_name: session.display_name.clone(),
        roles: session.roles.clone(),
        must_change_password: session.must_change_password,
        locked: session.locked,
        idle_lock_minutes: idle_lock_minutes(db)?,
    })
}

/// Change one's own password (required for a new account and after an administrator's
/// reset). The session must still be good (not locked, expired or disabled); a wrong
/// current password counts toward the lockout like the login form's, and the one that
/// locks the account locks the screen too.
pub fn change_own_password(
    db: &mut Database,
    clock: &dyn Clock,
    session: &mut Session,
    current: &str,
    new: &str,
) -> Result<()> {
    let now = clock.now();
    let record = check_session(db, now, session)?;
    if locked_out(&record, now) {
        session.locked = true;
        return Err(lockout_error(&record, now));
    }
    let actor = format!("staff:{}", record.username);
    if !check_password(
        db,
        now,
        &record,
        current,
        (&actor, "staff.change_password", &actor),
    )? {
        if let Some(locked) = lockout_after_failure(db, &record, now)? {
            session.locked = true;
            return Err(locked);
        }
        return Err(AppError::invalid_input(
            "current password",
            "that is not your current password",
        ));
    }
    if current == new {
        return Err(AppError::invalid_input(
            "new password",
            "choose a password different from the current one",
        ));
    }
    check_password_policy(new, &record.username, &record.display_name)?;
    let hash = password::hash(new)?;
    db.write(|tx| {
        storage::set_password(tx, record.id, &hash, false, now)?;
        storage::record_success(tx, record.id, None, now)?;
        audit::record(
            tx,
            &Event {
                at: now,
                actor: &actor,
                action: "staff.change_password",
                object: &actor,
                outcome: Outcome::Ok,
                detail: "",
            },
        )
    })?;
    session.must_change_password = false;
    session.last_activity = now;
    Ok(())
}

fn validate_names(username: &str, display_name: &str) -> Result<(String, String)> {
    let username = username.trim();
    if username.is_empty() {
        return Err(AppError::invalid_input("username", "must not be empty"));
    }
    if username.chars().count() > 32 {
        return Err(AppError::invalid_input("username", "at most 32 characters"));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AppError::invalid_input(
            "username",
            "use letters, digits, dot, dash or underscore only",
        ));
    }
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(AppError::invalid_input("display name", "must not be empty"));
    }
    if display_name.chars().count() > 80 {
        return Err(AppError::invalid_input(
            "display name",
            "at most 80 characters",
        ));
    }
    if display_name
        .chars()
        .any(|c| c.is_control() || crate::text::is_direction_mark(c))
    {
        return Err(AppError::invalid_input(
            "display name",
            "must not contain control characters",
        ));
    }
    Ok((username.to_string(), display_name.to_string()))
}

/// List every account (administrators and the command line).
pub fn list_staff(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
) -> Result<Vec<StaffSummary>> {
    authorize_actor(db, clock, actor, Operation::AdminStaff)?;
    let by = actor.audit_name();
    audit::record_alone(db, &Event::ok(clock.now(), &by, "staff.list", "staff", ""))?;
    Ok(storage::all_staff(db.conn())?
        .iter()
        .map(StaffRecord::summary)
        .collect())
}

/// A training account for demo data, with its password already hashed and no need to
/// choose another at first login (the demo prints the passwords for a trainer to hand out,
/// and a demo database never holds real guests). Inside the caller's transaction.
pub(crate) fn insert_training_account(
    tx: &rusqlite::Connection,
    username: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    at: DateTime<Utc>,
) -> Result<i64> {
    storage::insert_staff(
        tx,
        username,
        display_name,
        password_hash,
        &[role],
        false,
        at,
    )
}

/// Create an account; its owner chooses their own password at first login.
pub fn create_staff(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    new: &NewStaff,
) -> Result<StaffSummary> {
    authorize_actor(db, clock, actor, Operation::AdminStaff)?;
    let (username, display_name) = validate_names(&new.username, &new.display_name)?;
    let roles = validate_roles(&new.roles)?;
    check_password_policy(&new.password, &username, &display_name)?;
    let hash = password::hash(&new.password)?;
    let now = clock.now();
    let by = actor.audit_name();
    let id = db.write(|tx| {
        if storage::find_by_username(tx, &username)?.is_some() {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!("username: {username} is already taken"),
            ));
        }
        // The administrator chose this password, so the person chooses their own at first
        // login, as after a reset.
        let id = storage::insert_staff(tx, &username, &display_name, &hash, &roles, true, now)?;
        let detail = format!(
            "roles={}, must choose a password at first login",
            role_list(&roles)
        );
        audit::record(
            tx,
            &Event::ok(
                now,
                &by,
                "staff.create",
                &format!("staff:{username}"),
                &detail,
            ),
        )?;
        Ok(id)
    })?;
    summary_of(db, id)
}

/// The shape every change to an existing account takes: check the permission, find the
/// account, validate (outside the transaction, where slow hashing belongs), then change
/// it and write the audit entry in one transaction.
#[allow(clippy::too_many_arguments)]
fn change_account<P>(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    operation: Operation,
    username: &str,
    action: &str,
    prepare: impl FnOnce(&Actor<'_>, &StaffRecord) -> Result<P>,
    apply: impl FnOnce(&rusqlite::Connection, &StaffRecord, P, DateTime<Utc>) -> Result<String>,
) -> Result<StaffSummary> {
    authorize_actor(db, clock, actor, operation)?;
    let record = existing(db, username)?;
    let prepared = prepare(actor, &record)?;
    let now = clock.now();
    let by = actor.audit_name();
    db.write(|tx| {
        let detail = apply(tx, &record, prepared, now)?;
        // Checked after the change, inside its transaction, so every kind of change is covered.
        if storage::count_active_admins(tx)? == 0 {
            return Err(AppError::new(
                ErrorCode::Conflict,
                "this would leave no active administrator; give another account the admin role first",
            ));
        }
        let object = format!("staff:{}", record.username);
        audit::record(tx, &Event::ok(now, &by, action, &object, &detail))
    })?;
    summary_of(db, record.id)
}

/// Replace an account's roles; takes effect on that person's next action.
pub fn set_roles(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    username: &str,
    roles: &[Role],
) -> Result<StaffSummary> {
    change_account(
        db,
        clock,
        actor,
        Operation::AdminStaff,
        username,
        "staff.set_roles",
        |_, _| validate_roles(roles),
        |tx, record, roles, now| {
            storage::set_roles(tx, record.id, &roles, now)?;
            Ok(format!(
                "roles={} (were {})",
                role_list(&roles),
                role_list(&record.roles)
            ))
        },
    )
}

/// Disable or enable an account; a disabled account's session ends on its next action.
pub fn set_disabled(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    username: &str,
    disabled: bool,
) -> Result<StaffSummary> {
    let action = if disabled {
        "staff.disable"
    } else {
        "staff.enable"
    };
    change_account(
        db,
        clock,
        actor,
        Operation::AdminStaff,
        username,
        action,
        |actor, record| match actor {
            Actor::Staff(session) if disabled && session.staff_id == record.id => Err(
                AppError::new(ErrorCode::Conflict, "you cannot disable your own account"),
            ),
            _ => Ok(()),
        },
        |tx, record, (), now| {
            storage::set_disabled(tx, record.id, disabled, now)?;
            Ok(String::new())
        },
    )
}

/// Set a new password chosen by an administrator; the person must choose their own at
/// next login.
pub fn reset_password(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    username: &str,
    new_password: &str,
) -> Result<StaffSummary> {
    change_account(
        db,
        clock,
        actor,
        Operation::AdminStaff,
        username,
        "staff.reset_password",
        |_, record| {
            check_password_policy(new_password, &record.username, &record.display_name)?;
            password::hash(new_password)
        },
        |tx, record, hash, now| {
            storage::set_password(tx, record.id, &hash, true, now)?;
            storage::clear_lockout(tx, record.id, now)?;
            Ok(String::new())
        },
    )
}

/// Lift a lockout before its 15 minutes are up (supervisors, administrators, the CLI).
pub fn unlock_account(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    username: &str,
) -> Result<StaffSummary> {
    change_account(
        db,
        clock,
        actor,
        Operation::UnlockAccounts,
        username,
        "staff.unlock",
        |_, _| Ok(()),
        |tx, record, (), now| {
            storage::clear_lockout(tx, record.id, now)?;
            Ok(String::new())
        },
    )
}

fn existing(db: &Database, username: &str) -> Result<StaffRecord> {
    storage::find_by_username(db.conn(), username.trim())?.ok_or_else(|| {
        AppError::new(
            ErrorCode::NotFound,
            format!("there is no staff account {:?}", username.trim()),
        )
    })
}

fn summary_of(db: &Database, id: i64) -> Result<StaffSummary> {
    storage::find_by_id(db.conn(), id)?
        .map(|record| record.summary())
        .ok_or_else(|| AppError::internal("the account just written is missing"))
}

fn validate_roles(roles: &[Role]) -> Result<Vec<Role>> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(AppError::invalid_input("roles", "choose at least one role"));
    }
    Ok(roles)
}

/// Set the idle-lock time (administrators) from what was typed; the new time applies to
/// every session at its next action. Returns the stored value.
pub fn set_idle_lock_minutes(
    db: &mut Database,
    clock: &dyn Clock,
    actor: &mut Actor<'_>,
    minutes: &str,
) -> Result<u32> {
    authorize_actor(db, clock, actor, Operation::AdminSettings)?;
    let minutes = crate::settings::parse_whole(
        "idle lock minutes",
        minutes,
        IDLE_LOCK_MIN_MINUTES..=IDLE_LOCK_MAX_MINUTES,
        "minutes",
    )?;
    let was = idle_lock_minutes(db)?;
    let now = clock.now();
    let by = actor.audit_name();
    db.write(|tx| {
        crate::settings::write(tx, IDLE_LOCK_SETTING, &minutes.to_string(), now)?;
        let detail = format!("{minutes} (was {was})");
        audit::record(
            tx,
            &Event::ok(now, &by, "settings.idle_lock_minutes", "settings", &detail),
        )
    })?;
    Ok(minutes)
}

fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// For the other modules' unit tests (auth's own tests walk the real first login).
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Log in to an account that [`create_staff`] just made, as if its owner had chosen
    /// `password` at the first login (it stays the password).
    pub(crate) fn first_login(
        db: &mut Database,
        clock: &dyn Clock,
        username: &str,
        password: &str,
    ) -> Result<Session> {
        let mut session = login(db, clock, username, password)?;
        let record = storage::find_by_id(db.conn(), session.staff_id)?
            .ok_or_else(|| AppError::internal("the account just logged into is missing"))?;
        let now = clock.now();
        db.write(|tx| storage::set_password(tx, record.id, &record.password_hash, false, now))?;
        session.must_change_password = false;
        Ok(session)
    }
}

#[cfg(test)]
mod tests;
