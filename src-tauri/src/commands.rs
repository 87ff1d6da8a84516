//! Tauri commands: each takes the state, calls the core and returns its `{code, message}`
//! error unchanged. Every command here must also be listed in build.rs and granted in
//! capabilities/main.json.
//!
//! The idle lock: each command that acts for the logged-in person says what it is,
//! `Person` (a change, a search typed, a record opened, a report or check asked for: keeps
//! the session awake) or `Refresh` (what screens load by themselves, on a timer, on a
//! change event or when they first show: checked against the idle time, but never keeps a
//! session awake). A screen left open therefore locks in Rust after the idle time however
//! often it reloads; see `auth::Activity`.

use engagement_desk_core::audit::{LogPage, LogQuery, VerifyReport};
use engagement_desk_core::audit_viewer;
use engagement_desk_core::auth::Activity::{Person, Refresh};
use engagement_desk_core::auth::{
    self, Actor, NewStaff, Operation, Role, SessionInfo, StaffSummary,
};
use engagement_desk_core::backup::{self, BackupFile, BackupMade, BackupOverview, RestoreDone};
use engagement_desk_core::clock::Clock;
use engagement_desk_core::days;
use engagement_desk_core::guests::{self, AnswerSets, GuestCard, NewGuest};
use engagement_desk_core::queue::incidents::{self, Incident, IncidentInput};
use engagement_desk_core::queue::{
    self, ClinicalNote, DeskQueue, JoinInput, NurseQueue, QueueAnswer, QueueEntry, QueueState,
    ReasonOption,
};
use engagement_desk_core::referrals::{
    self, Consent, ConsentInput, GuestReferrals, PartnerInput, Printout, Referral, ReferralDetail,
    ReferralInput, ReferralNote, ReferralStatus, ReferralsToday,
};
use engagement_desk_core::reports::export::{self, ExportFormat, Suppression};
use engagement_desk_core::reports::{self, Report};
use engagement_desk_core::restrictions::{self, Flag, FlagRecorded, NewFlag};
use engagement_desk_core::schedule::{
    self, BlockInput, Board, Booking, BookingState, BookingTarget, KindInput, KindSummary,
    ResourceInput, WaitingGuest,
};
use engagement_desk_core::status::{self, AppStatus};
use engagement_desk_core::visits::{self, CheckedIn, DayClosure, DaysLeftOpen, DeskToday, Lookup};
use engagement_desk_core::{AppError, ErrorCode};
use std::path::Path;
use tauri::{AppHandle, State};

use crate::state::AppState;

type Reply<T> = Result<T, AppError>;

/// The app's version, database and schema, or why the database could not be opened.
#[tauri::command(async)]
pub fn app_status(state: State<'_, AppState>) -> Reply<AppStatus> {
    state.with_db(|db| {
        let mut status = status::app_status(db)?;
        status
            .backup_problem
            .clone_from(&*crate::state::lock(&state.start_backup_problem)?);
        status
            .integrity_problem
            .clone_from(&*crate::state::lock(&state.integrity_problem)?);
        Ok(status)
    })
}

/// True when no staff account exists yet (the window then offers the first administrator).
#[tauri::command(async)]
pub fn first_run_needed(state: State<'_, AppState>) -> Reply<bool> {
    state.with_db(|db| auth::needs_first_admin(db))
}

#[tauri::command(async)]
pub fn create_first_admin(
    state: State<'_, AppState>,
    username: String,
    display_name: String,
    password: String,
    password_repeat: String,
) -> Reply<SessionInfo> {
    state.with_session_slot(|db, slot| {
        let session = auth::create_first_admin(
            db,
            &state.clock,
            &username,
            &display_name,
            &password,
            &password_repeat,
        )?;
        let info = auth::session_info(db, &session)?;
        *slot = Some(session);
        Ok(info)
    })
}

#[tauri::command(async)]
pub fn login(state: State<'_, AppState>, username: String, password: String) -> Reply<SessionInfo> {
    state.with_session_slot(|db, slot| {
        let session = auth::login(db, &state.clock, &username, &password)?;
        let info = auth::session_info(db, &session)?;
        *slot = Some(session);
        Ok(info)
    })
}

/// End the session (also "switch user" from the lock screen).
#[tauri::command(async)]
pub fn logout(state: State<'_, AppState>) -> Reply<()> {
    state.with_session_slot(|db, slot| match slot.take() {
        Some(session) => auth::logout(db, &state.clock, &session),
        None => Ok(()),
    })
}

/// Who is logged in, if anyone (nothing secret: the session stays in Rust).
#[tauri::command(async)]
pub fn current_session(state: State<'_, AppState>) -> Reply<Option<SessionInfo>> {
    state.with_session_slot(|db, slot| {
        slot.as_ref()
            .map(|session| auth::session_info(db, session))
            .transpose()
    })
}

#[tauri::command(async)]
pub fn lock_session(state: State<'_, AppState>) -> Reply<SessionInfo> {
    state.with_session(Refresh, |db, session| {
        auth::lock_session(db, &state.clock, session)?;
        auth::session_info(db, session)
    })
}

#[tauri::command(async)]
pub fn unlock_session(state: State<'_, AppState>, password: String) -> Reply<SessionInfo> {
    state.with_session(Person, |db, session| {
        auth::unlock_session(db, &state.clock, session, &password)?;
        auth::session_info(db, session)
    })
}

#[tauri::command(async)]
pub fn change_password(
    state: State<'_, AppState>,
    current: String,
    new: String,
) -> Reply<SessionInfo> {
    state.with_session(Person, |db, session| {
        auth::change_own_password(db, &state.clock, session, &current, &new)?;
        auth::session_info(db, session)
    })
}

#[tauri::command(async)]
pub fn list_staff(state: State<'_, AppState>) -> Reply<Vec<StaffSummary>> {
    state.with_session(Refresh, |db, session| {
        auth::list_staff(db, &state.clock, &mut Actor::Staff(session))
    })
}

#[tauri::command(async)]
pub fn create_staff(state: State<'_, AppState>, staff: NewStaff) -> Reply<StaffSummary> {
    state.with_session(Person, |db, session| {
        auth::create_staff(db, &state.clock, &mut Actor::Staff(session), &staff)
    })
}

#[tauri::command(async)]
pub fn set_staff_roles(
    state: State<'_, AppState>,
    username: String,
    roles: Vec<Role>,
) -> Reply<StaffSummary> {
    state.with_session(Person, |db, session| {
        auth::set_roles(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            &username,
            &roles,
        )
    })
}

#[tauri::command(async)]
pub fn set_staff_disabled(
    state: State<'_, AppState>,
    username: String,
    disabled: bool,
) -> Reply<StaffSummary> {
    state.with_session(Person, |db, session| {
        auth::set_disabled(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            &username,
            disabled,
        )
    })
}

#[tauri::command(async)]
pub fn reset_staff_password(
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Reply<StaffSummary> {
    state.with_session(Person, |db, session| {
        auth::reset_password(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            &username,
            &password,
        )
    })
}

#[tauri::command(async)]
pub fn unlock_staff(state: State<'_, AppState>, username: String) -> Reply<StaffSummary> {
    state.with_session(Person, |db, session| {
        auth::unlock_account(db, &state.clock, &mut Actor::Staff(session), &username)
    })
}

/// Set the idle-lock time for everyone (administrators); returns the caller's session with it.
#[tauri::command(async)]
pub fn set_idle_lock_minutes(state: State<'_, AppState>, minutes: String) -> Reply<SessionInfo> {
    state.with_session(Person, |db, session| {
        auth::set_idle_lock_minutes(db, &state.clock, &mut Actor::Staff(session), &minutes)?;
        auth::session_info(db, session)
    })
}

#[tauri::command(async)]
pub fn view_audit_log(state: State<'_, AppState>, query: LogQuery) -> Reply<LogPage> {
    state.with_session(Person, |db, session| {
        audit_viewer::view_log(db, &state.clock, &mut Actor::Staff(session), &query)
    })
}

#[tauri::command(async)]
pub fn verify_audit_log(state: State<'_, AppState>) -> Reply<VerifyReport> {
    state.with_session(Person, |db, session| {
        audit_viewer::verify_log(db, &state.clock, &mut Actor::Staff(session))
    })
}

/// Who is inside, occupancy, recently seen guests and today's counts.
#[tauri::command(async)]
pub fn desk_today(state: State<'_, AppState>) -> Reply<DeskToday> {
    state.with_session(Refresh, |db, session| {
        visits::desk_today(db, &state.clock, session)
    })
}

/// What the one box at the desk finds: a code, or nicknames starting with the text.
#[tauri::command(async)]
pub fn lookup_guest(state: State<'_, AppState>, typed: String) -> Reply<Lookup> {
    state.with_session(Person, |db, session| {
        visits::lookup(db, &state.clock, session, &typed)
    })
}

#[tauri::command(async)]
pub fn check_in_guest(
    app: AppHandle,
    state: State<'_, AppState>,
    guest_id: i64,
    over_capacity: bool,
) -> Reply<CheckedIn> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::check_in(db, &state.clock, session, guest_id, over_capacity)
        }),
    )
}

#[tauri::command(async)]
pub fn register_and_check_in(
    app: AppHandle,
    state: State<'_, AppState>,
    guest: NewGuest,
    over_capacity: bool,
) -> Reply<CheckedIn> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::register_and_check_in(db, &state.clock, session, &guest, over_capacity)
        }),
    )
}

#[tauri::command(async)]
pub fn check_out_visit(
    app: AppHandle,
    state: State<'_, AppState>,
    visit_id: i64,
) -> Reply<GuestCard> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::check_out(db, &state.clock, session, visit_id)
        }),
    )
}

#[tauri::command(async)]
pub fn undo_check_in(
    app: AppHandle,
    state: State<'_, AppState>,
    visit_id: i64,
) -> Reply<GuestCard> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::undo_check_in(db, &state.clock, session, visit_id)
        }),
    )
}

/// Count someone who declines a code; returns today's tally.
#[tauri::command(async)]
pub fn count_anonymous_guest(app: AppHandle, state: State<'_, AppState>) -> Reply<u32> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::count_anonymous(db, &state.clock, session)
        }),
    )
}

/// The answer sets of the registration form (HMIS codes); nothing from the database.
#[tauri::command(async)]
pub fn guest_answer_sets() -> Reply<AnswerSets> {
    Ok(guests::answer_sets())
}

#[tauri::command(async)]
pub fn set_building_capacity(
    app: AppHandle,
    state: State<'_, AppState>,
    capacity: String,
) -> Reply<u32> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::set_capacity(db, &state.clock, session, &capacity)
        }),
    )
}

/// Record an alert or restriction (supervisors); warns when it has no end date.
#[tauri::command(async)]
pub fn record_guest_flag(
    app: AppHandle,
    state: State<'_, AppState>,
    flag: NewFlag,
) -> Reply<FlagRecorded> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            restrictions::record(db, &state.clock, session, &flag)
        }),
    )
}

#[tauri::command(async)]
pub fn lift_guest_flag(app: AppHandle, state: State<'_, AppState>, flag_id: i64) -> Reply<Flag> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            restrictions::lift(db, &state.clock, session, flag_id)
        }),
    )
}

/// Alerts and restrictions in force today or later.
#[tauri::command(async)]
pub fn current_guest_flags(state: State<'_, AppState>) -> Reply<Vec<Flag>> {
    state.with_session(Refresh, |db, session| {
        restrictions::list_current(db, &state.clock, session)
    })
}

/// Merge a duplicate record into the one kept (supervisors).
#[tauri::command(async)]
pub fn merge_guests(
    app: AppHandle,
    state: State<'_, AppState>,
    keep_code: String,
    duplicate_code: String,
) -> Reply<GuestCard> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::merge_guests(db, &state.clock, session, &keep_code, &duplicate_code)
        }),
    )
}

/// Close out today (supervisors).
#[tauri::command(async)]
pub fn close_day(app: AppHandle, state: State<'_, AppState>) -> Reply<DayClosure> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::close_day(db, &state.clock, session)
        }),
    )
}

/// The earlier days nobody closed out (supervisors).
#[tauri::command(async)]
pub fn days_left_open(state: State<'_, AppState>) -> Reply<DaysLeftOpen> {
    state.with_session(Refresh, |db, session| {
        visits::days_left_open(db, &state.clock, session)
    })
}

/// Close out an earlier day that was left open (supervisors); flagged closed late.
#[tauri::command(async)]
pub fn close_earlier_day(
    app: AppHandle,
    state: State<'_, AppState>,
    date: String,
) -> Reply<DayClosure> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::close_earlier_day(db, &state.clock, session, &date)
        }),
    )
}

/// The center's closing time, `HH:MM`.
#[tauri::command(async)]
pub fn closing_time(state: State<'_, AppState>) -> Reply<String> {
    state.with_session(Refresh, |db, _| Ok(visits::closing_time_text(db)))
}

/// Set the center's closing time (supervisors).
#[tauri::command(async)]
pub fn set_closing_time(app: AppHandle, state: State<'_, AppState>, time: String) -> Reply<String> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            visits::set_closing_time(db, &state.clock, session, &time)
        }),
    )
}

/// The live board of one kind (shower, computer, phone) for today.
#[tauri::command(async)]
pub fn schedule_board(state: State<'_, AppState>, kind: String) -> Reply<Board> {
    state.with_session(Refresh, |db, session| {
        schedule::board(db, &state.clock, session, &kind)
    })
}

/// Book a checked-in guest: the next free slot of a kind, or a resource and time.
#[tauri::command(async)]
pub fn book_service(
    app: AppHandle,
    state: State<'_, AppState>,
    guest_id: i64,
    target: BookingTarget,
) -> Reply<Booking> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::book(db, &state.clock, session, guest_id, &target)
        }),
    )
}

/// Start, finish or cancel a booking.
#[tauri::command(async)]
pub fn change_booking(
    app: AppHandle,
    state: State<'_, AppState>,
    booking_id: i64,
    to: BookingState,
) -> Reply<Booking> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::change_state(db, &state.clock, session, booking_id, to)
        }),
    )
}

#[tauri::command(async)]
pub fn join_waitlist(
    app: AppHandle,
    state: State<'_, AppState>,
    guest_id: i64,
    kind: String,
) -> Reply<WaitingGuest> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::join_waitlist(db, &state.clock, session, guest_id, &kind)
        }),
    )
}

/// Put a resource out of order with a reason, or back in order without one (supervisors).
#[tauri::command(async)]
pub fn set_resource_out_of_order(
    app: AppHandle,
    state: State<'_, AppState>,
    resource_id: i64,
    reason: Option<String>,
) -> Reply<()> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::set_out_of_order(db, &state.clock, session, resource_id, reason.as_deref())
        }),
    )
}

/// Every kind of resource (shower, computer, phone, and any added).
#[tauri::command(async)]
pub fn resource_kinds(state: State<'_, AppState>) -> Reply<Vec<KindSummary>> {
    state.with_session(Refresh, |db, session| {
        schedule::kinds(db, &state.clock, session)
    })
}

#[tauri::command(async)]
pub fn save_resource_kind(
    app: AppHandle,
    state: State<'_, AppState>,
    kind: KindInput,
) -> Reply<()> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::save_kind(db, &state.clock, session, &kind)
        }),
    )
}

#[tauri::command(async)]
pub fn save_resource(
    app: AppHandle,
    state: State<'_, AppState>,
    resource: ResourceInput,
) -> Reply<i64> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::save_resource(db, &state.clock, session, &resource)
        }),
    )
}

/// Opening hours of a kind on an ISO weekday; no times closes the day.
#[tauri::command(async)]
pub fn set_opening_hours(
    app: AppHandle,
    state: State<'_, AppState>,
    kind: String,
    weekday: u32,
    opens: Option<String>,
    closes: Option<String>,
) -> Reply<()> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::set_hours(
                db,
                &state.clock,
                session,
                &kind,
                weekday,
                opens.as_deref(),
                closes.as_deref(),
            )
        }),
    )
}

#[tauri::command(async)]
pub fn block_period(app: AppHandle, state: State<'_, AppState>, block: BlockInput) -> Reply<i64> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            schedule::block_period(db, &state.clock, session, &block)
        }),
    )
}

#[tauri::command(async)]
pub fn set_no_show_grace(state: State<'_, AppState>, minutes: String) -> Reply<u32> {
    state.with_session(Person, |db, session| {
        schedule::set_no_show_grace(db, &state.clock, session, &minutes)
    })
}

/// Today's nurse queue as the front desk sees it: numbers and states only.
#[tauri::command(async)]
pub fn queue_desk_view(state: State<'_, AppState>) -> Reply<DeskQueue> {
    state.with_session(Refresh, |db, session| {
        queue::desk_view(db, &state.clock, session)
    })
}

/// Today's nurse queue with reasons, priorities and stations (nurses and supervisors).
#[tauri::command(async)]
pub fn queue_nurse_view(state: State<'_, AppState>) -> Reply<NurseQueue> {
    state.with_session(Refresh, |db, session| {
        queue::nurse_view(db, &state.clock, session)
    })
}

/// Add a checked-in guest to the nurse queue; the answer carries the number to call out.
#[tauri::command(async)]
pub fn queue_join(
    app: AppHandle,
    state: State<'_, AppState>,
    input: JoinInput,
) -> Reply<QueueAnswer> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            queue::join(db, &state.clock, session, &input)
        }),
    )
}

/// Call the first waiting guest to a station.
#[tauri::command(async)]
pub fn queue_call_next(
    app: AppHandle,
    state: State<'_, AppState>,
    station_id: i64,
) -> Reply<QueueEntry> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            queue::call_next(db, &state.clock, session, station_id)
        }),
    )
}

/// Start, finish (with an optional clinical note), mark left, or cancel an entry.
#[tauri::command(async)]
pub fn queue_change(
    app: AppHandle,
    state: State<'_, AppState>,
    entry_id: i64,
    to: QueueState,
    clinical_note: Option<String>,
) -> Reply<QueueAnswer> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            queue::change(
                db,
                &state.clock,
                session,
                entry_id,
                to,
                clinical_note.as_deref(),
            )
        }),
    )
}

/// Undo the last transition of an entry.
#[tauri::command(async)]
pub fn queue_undo(app: AppHandle, state: State<'_, AppState>, entry_id: i64) -> Reply<QueueAnswer> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            queue::undo_last(db, &state.clock, session, entry_id)
        }),
    )
}

/// Write a clinical note (or a correction of one) on an encounter.
#[tauri::command(async)]
pub fn queue_add_note(
    state: State<'_, AppState>,
    entry_id: i64,
    body: String,
    corrects: Option<i64>,
) -> Reply<ClinicalNote> {
    state.with_session(Person, |db, session| {
        queue::add_note(db, &state.clock, session, entry_id, &body, corrects)
    })
}

/// The clinical notes of an entry's guest; the read is audited.
#[tauri::command(async)]
pub fn queue_read_notes(state: State<'_, AppState>, entry_id: i64) -> Reply<Vec<ClinicalNote>> {
    state.with_session(Person, |db, session| {
        queue::read_notes(db, &state.clock, session, entry_id)
    })
}

/// Record an on-site overdose or medical incident.
#[tauri::command(async)]
pub fn record_incident(
    app: AppHandle,
    state: State<'_, AppState>,
    input: IncidentInput,
) -> Reply<Incident> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            incidents::record(db, &state.clock, session, &input)
        }),
    )
}

/// Today's incidents, the latest first.
#[tauri::command(async)]
pub fn incidents_today(state: State<'_, AppState>) -> Reply<Vec<Incident>> {
    state.with_session(Refresh, |db, session| {
        incidents::today(db, &state.clock, session)
    })
}

/// Add or change a reason guests wait for (supervisors).
#[tauri::command(async)]
pub fn save_queue_reason(
    app: AppHandle,
    state: State<'_, AppState>,
    reason: String,
    label: String,
    active: bool,
) -> Reply<ReasonOption> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            queue::save_reason(db, &state.clock, session, &reason, &label, active)
        }),
    )
}

/// Add a nurse station, rename one or take it out of use (supervisors).
#[tauri::command(async)]
pub fn save_nurse_station(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Option<i64>,
    name: String,
    active: bool,
) -> Reply<i64> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            queue::save_station(db, &state.clock, session, id, &name, active)
        }),
    )
}

/// Categories, partners, today's warm hand-offs and the follow-ups due.
#[tauri::command(async)]
pub fn referrals_today(state: State<'_, AppState>) -> Reply<ReferralsToday> {
    state.with_session(Refresh, |db, session| {
        referrals::today(db, &state.clock, session)
    })
}

#[tauri::command(async)]
pub fn make_referral(
    app: AppHandle,
    state: State<'_, AppState>,
    input: ReferralInput,
) -> Reply<Referral> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            referrals::make(db, &state.clock, session, &input)
        }),
    )
}

/// A guest (by code) and the referrals the reader may see.
#[tauri::command(async)]
pub fn referrals_for_guest(state: State<'_, AppState>, code: String) -> Reply<GuestReferrals> {
    state.with_session(Person, |db, session| {
        referrals::for_guest(db, &state.clock, session, &code)
    })
}

/// One referral with notes, consents and history (sensitive reads are audited).
#[tauri::command(async)]
pub fn open_referral(state: State<'_, AppState>, referral_id: i64) -> Reply<ReferralDetail> {
    state.with_session(Person, |db, session| {
        referrals::open(db, &state.clock, session, referral_id)
    })
}

#[tauri::command(async)]
pub fn change_referral_status(
    app: AppHandle,
    state: State<'_, AppState>,
    referral_id: i64,
    to: ReferralStatus,
) -> Reply<Referral> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            referrals::change_status(db, &state.clock, session, referral_id, to)
        }),
    )
}

#[tauri::command(async)]
pub fn set_referral_follow_up(
    app: AppHandle,
    state: State<'_, AppState>,
    referral_id: i64,
    date: Option<String>,
) -> Reply<Referral> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            referrals::set_follow_up(db, &state.clock, session, referral_id, date.as_deref())
        }),
    )
}

#[tauri::command(async)]
pub fn add_referral_note(
    state: State<'_, AppState>,
    referral_id: i64,
    body: String,
    corrects: Option<i64>,
) -> Reply<ReferralNote> {
    state.with_session(Person, |db, session| {
        referrals::add_note(db, &state.clock, session, referral_id, &body, corrects)
    })
}

#[tauri::command(async)]
pub fn record_consent(
    state: State<'_, AppState>,
    referral_id: i64,
    input: ConsentInput,
) -> Reply<Consent> {
    state.with_session(Person, |db, session| {
        referrals::record_consent(db, &state.clock, session, referral_id, &input)
    })
}

#[tauri::command(async)]
pub fn revoke_consent(
    state: State<'_, AppState>,
    referral_id: i64,
    consent_id: i64,
) -> Reply<Consent> {
    state.with_session(Person, |db, session| {
        referrals::revoke_consent(db, &state.clock, session, referral_id, consent_id)
    })
}

/// A referral to print, with the Part 2 notice (audited).
#[tauri::command(async)]
pub fn referral_printout(state: State<'_, AppState>, referral_id: i64) -> Reply<Printout> {
    state.with_session(Person, |db, session| {
        referrals::printout(db, &state.clock, session, referral_id)
    })
}

/// Add or change a partner organization (supervisors).
#[tauri::command(async)]
pub fn save_partner(
    app: AppHandle,
    state: State<'_, AppState>,
    partner: PartnerInput,
) -> Reply<i64> {
    crate::state::announce(
        &app,
        state.with_session(Person, |db, session| {
            referrals::save_partner(db, &state.clock, session, &partner)
        }),
    )
}

/// The daily counts of a range of days (supervisors).
#[tauri::command(async)]
pub fn report_counts(state: State<'_, AppState>, from: String, to: String) -> Reply<Report> {
    state.with_session(Person, |db, session| {
        reports::compute(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            &from,
            &to,
            &mut |_, _| {},
        )
    })
}

/// Export the counts of a range as CSV or XLSX through the save dialog; the path written,
/// or none when the person cancelled. The database is not held while the dialog is open.
#[tauri::command(async)]
pub fn export_counts(
    app: AppHandle,
    state: State<'_, AppState>,
    from: String,
    to: String,
    format: ExportFormat,
    suppress_small_cells: bool,
) -> Reply<Option<String>> {
    let (report, bytes, suppression) = state.with_session(Person, |db, session| {
        let report = reports::compute(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            &from,
            &to,
            &mut |_, _| {},
        )?;
        let suppression = Suppression {
            threshold: suppress_small_cells.then(|| reports::small_cell_threshold(db)),
        };
        let bytes = export::render(&report, format, suppression)?;
        Ok((report, bytes, suppression))
    })?;
    let name = format!(
        "daily-counts-{}-to-{}.{}",
        report.from,
        report.to,
        format.extension()
    );
    let Some(path) = crate::state::choose_save_path(&app, &name, format.extension()) else {
        return Ok(None);
    };
    export::write_file(&path, &bytes)?;
    state.with_session(Person, |db, session| {
        reports::audit_export(
            db,
            &state.clock,
            &Actor::Staff(session),
            &report,
            &export::describe(format, suppression),
        )
    })?;
    Ok(Some(path.display().to_string()))
}

/// The small-cell threshold for exports shared outside the center.
#[tauri::command(async)]
pub fn small_cell_threshold(state: State<'_, AppState>) -> Reply<u32> {
    state.with_session(Refresh, |db, session| {
        reports::small_cell_setting(db, &state.clock, session)
    })
}

#[tauri::command(async)]
pub fn set_small_cell_threshold(state: State<'_, AppState>, threshold: String) -> Reply<u32> {
    state.with_session(Person, |db, session| {
        reports::set_small_cell_threshold(db, &state.clock, session, &threshold)
    })
}

/// The backups folder, how many automatic backups are kept, and what is there.
#[tauri::command(async)]
pub fn backup_overview(state: State<'_, AppState>) -> Reply<BackupOverview> {
    state.with_session(Refresh, |db, session| {
        backup::overview(db, &state.clock, &mut Actor::Staff(session))
    })
}

/// Back up through the save dialog; the backup made, or none when the person cancelled.
/// The permission is checked before the dialog opens.
#[tauri::command(async)]
pub fn back_up_now(app: AppHandle, state: State<'_, AppState>) -> Reply<Option<BackupMade>> {
    let today = state.with_session(Person, |db, session| {
        auth::authorize(db, &state.clock, session, Operation::Backups)?;
        Ok(days::center_day(db, Clock::now(&state.clock))?.1)
    })?;
    let name = format!("engagement-desk-backup-{today}.db");
    let Some(path) = crate::state::choose_save_path(&app, &name, "db") else {
        return Ok(None);
    };
    state
        .with_session(Person, |db, session| {
            // The dialog already asked whether to replace an existing file.
            backup::back_up(db, &state.clock, &mut Actor::Staff(session), &path, true)
        })
        .map(Some)
}

#[tauri::command(async)]
pub fn set_backup_keep(state: State<'_, AppState>, keep: String) -> Reply<u32> {
    state.with_session(Person, |db, session| {
        backup::set_keep(db, &state.clock, &mut Actor::Staff(session), &keep)
    })
}

/// What a backup file holds (one from the backups folder list).
#[tauri::command(async)]
pub fn describe_backup(state: State<'_, AppState>, path: String) -> Reply<BackupFile> {
    state.with_session(Person, |db, session| {
        backup::describe(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            Path::new(&path),
        )
    })
}

/// Pick a backup file anywhere through the open dialog; what it holds, or none when the
/// person cancelled.
#[tauri::command(async)]
pub fn choose_backup_file(app: AppHandle, state: State<'_, AppState>) -> Reply<Option<BackupFile>> {
    state.with_session(Person, |db, session| {
        auth::authorize(db, &state.clock, session, Operation::Backups)
    })?;
    let Some(path) = crate::state::choose_open_path(&app, "db") else {
        return Ok(None);
    };
    state
        .with_session(Person, |db, session| {
            backup::describe(db, &state.clock, &mut Actor::Staff(session), &path)
        })
        .map(Some)
}

/// Restore a backup. Everyone is logged out afterwards: the staff accounts are the backup's.
#[tauri::command(async)]
pub fn restore_backup(
    app: AppHandle,
    state: State<'_, AppState>,
    path: String,
) -> Reply<RestoreDone> {
    let restored = state.with_session_slot(|db, slot| {
        let Some(session) = slot.as_mut() else {
            return Err(AppError::new(ErrorCode::NotAuthenticated, "please log in"));
        };
        let done = backup::restore(
            db,
            &state.clock,
            &mut Actor::Staff(session),
            Path::new(&path),
        )?;
        *slot = None;
        Ok(done)
    });
    crate::state::announce(&app, restored)
}
