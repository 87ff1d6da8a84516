// The only module that talks to the Rust side. Components call these functions and get
// typed results; every failure is rejected as an AppError `{code, message}`.
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { BlockInput } from './bindings/BlockInput';
import type { Board } from './bindings/Board';
import type { KindInput } from './bindings/KindInput';
import type { KindSummary } from './bindings/KindSummary';
import type { ResourceInput } from './bindings/ResourceInput';
import type { Booking } from './bindings/Booking';
import type { BookingState } from './bindings/BookingState';
import type { BookingTarget } from './bindings/BookingTarget';
import type { WaitingGuest } from './bindings/WaitingGuest';
import type { AnswerSets } from './bindings/AnswerSets';
import type { AppStatus } from './bindings/AppStatus';
import type { CheckedIn } from './bindings/CheckedIn';
import type { DayClosure } from './bindings/DayClosure';
import type { DaysLeftOpen } from './bindings/DaysLeftOpen';
import type { OpenDay } from './bindings/OpenDay';
import type { DeskToday } from './bindings/DeskToday';
import type { Flag } from './bindings/Flag';
import type { FlagRecorded } from './bindings/FlagRecorded';
import type { GuestCard } from './bindings/GuestCard';
import type { Lookup } from './bindings/Lookup';
import type { NewFlag } from './bindings/NewFlag';
import type { NewGuest } from './bindings/NewGuest';
import type { LogLine } from './bindings/LogLine';
import type { LogPage } from './bindings/LogPage';
import type { LogQuery } from './bindings/LogQuery';
import type { NewStaff } from './bindings/NewStaff';
import type { Role } from './bindings/Role';
import type { SessionInfo } from './bindings/SessionInfo';
import type { StaffSummary } from './bindings/StaffSummary';
import type { VerifyReport } from './bindings/VerifyReport';
import type { ClinicalNote } from './bindings/ClinicalNote';
import type { DeskQueue } from './bindings/DeskQueue';
import type { Incident } from './bindings/Incident';
import type { IncidentInput } from './bindings/IncidentInput';
import type { IncidentKind } from './bindings/IncidentKind';
import type { IncidentOutcome } from './bindings/IncidentOutcome';
import type { JoinInput } from './bindings/JoinInput';
import type { NurseQueue } from './bindings/NurseQueue';
import type { Priority } from './bindings/Priority';
import type { DeskLine } from './bindings/DeskLine';
import type { QueueAnswer } from './bindings/QueueAnswer';
import type { QueueEntry } from './bindings/QueueEntry';
import type { QueueState } from './bindings/QueueState';
import type { ReasonOption } from './bindings/ReasonOption';
import type { Station } from './bindings/Station';
import type { Category } from './bindings/Category';
import type { Consent } from './bindings/Consent';
import type { ConsentInput } from './bindings/ConsentInput';
import type { FollowUp } from './bindings/FollowUp';
import type { GuestReferrals } from './bindings/GuestReferrals';
import type { NurseTeamReminder } from './bindings/NurseTeamReminder';
import type { Partner } from './bindings/Partner';
import type { PartnerInput } from './bindings/PartnerInput';
import type { Printout } from './bindings/Printout';
import type { Referral } from './bindings/Referral';
import type { ReferralDetail } from './bindings/ReferralDetail';
import type { ReferralInput } from './bindings/ReferralInput';
import type { ReferralNote } from './bindings/ReferralNote';
import type { ReferralStatus } from './bindings/ReferralStatus';
import type { ReferralsToday } from './bindings/ReferralsToday';
import type { WarmHandoff } from './bindings/WarmHandoff';
import type { DayCounts } from './bindings/DayCounts';
import type { DayStatus } from './bindings/DayStatus';
import type { ExportFormat } from './bindings/ExportFormat';
import type { HourOccupancy } from './bindings/HourOccupancy';
import type { Report } from './bindings/Report';
import type { BackupFile } from './bindings/BackupFile';
import type { BackupMade } from './bindings/BackupMade';
import type { BackupOverview } from './bindings/BackupOverview';
import type { ListedBackup } from './bindings/ListedBackup';
import type { RestoreDone } from './bindings/RestoreDone';
import { toAppError } from './errors';

export type { BackupFile, BackupMade, BackupOverview, ListedBackup, RestoreDone };

export type { BlockInput, KindInput, KindSummary, ResourceInput };
export type { ClinicalNote, DeskQueue, Incident, IncidentInput, IncidentKind, IncidentOutcome, JoinInput };
export type { DeskLine, NurseQueue, Priority, QueueAnswer, QueueEntry, QueueState, ReasonOption, Station };
export type { Category, Consent, ConsentInput, FollowUp, GuestReferrals, NurseTeamReminder, Partner, PartnerInput, Printout };
export type { DayCounts, DayStatus, ExportFormat, HourOccupancy, Report };
export type { Referral, ReferralDetail, ReferralInput, ReferralNote, ReferralStatus, ReferralsToday, WarmHandoff };
export type { Board, Booking, BookingState, BookingTarget, WaitingGuest };
export type { DaysLeftOpen, OpenDay };
export type { AnswerSets, CheckedIn, DayClosure, DeskToday, Flag, FlagRecorded, GuestCard, Lookup, NewFlag, NewGuest };
export type { AppStatus, LogLine, LogPage, LogQuery, NewStaff, Role, SessionInfo, StaffSummary, VerifyReport };

// Rust decides when a session is locked (idle time, a lockout) or over; the window's own
// timer is only a convenience. When a command is refused because of the session, the shell
// is told so it can show the lock screen or the login at once, even if the refusal came from
// a screen's background refresh. The commands that ask for a password answer
// not_authenticated for a wrong one: those are the screen's own business.
const PASSWORD_COMMANDS = new Set(['login', 'unlock_session', 'create_first_admin', 'logout', 'current_session']);
const sessionRefusedListeners = new Set<() => void>();

/** Call `listener` whenever Rust refuses a command because of the session; returns the function that stops listening. */
export function onSessionRefused(listener: () => void): () => void {
  sessionRefusedListeners.add(listener);
  return () => sessionRefusedListeners.delete(listener);
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (thrown) {
    const error = toAppError(thrown);
    if (error.code === 'not_authenticated' && !PASSWORD_COMMANDS.has(command)) {
      sessionRefusedListeners.forEach((listener) => listener());
    }
    throw error;
  }
}

/** Version, database file, schema version and time zone; fails when the database could not be opened. */
export const appStatus = () => call<AppStatus>('app_status');

/** True when no staff account exists yet. */
export const firstRunNeeded = () => call<boolean>('first_run_needed');

export const createFirstAdmin = (username: string, displayName: string, password: string, passwordRepeat: string) =>
  call<SessionInfo>('create_first_admin', { username, displayName, password, passwordRepeat });

export const login = (username: string, password: string) => call<SessionInfo>('login', { username, password });

export const logout = () => call<void>('logout');

export const currentSession = () => call<SessionInfo | null>('current_session');

export const lockSession = () => call<SessionInfo>('lock_session');

export const unlockSession = (password: string) => call<SessionInfo>('unlock_session', { password });

export const changePassword = (current: string, next: string) =>
  call<SessionInfo>('change_password', { current, new: next });

export const listStaff = () => call<StaffSummary[]>('list_staff');

export const createStaff = (staff: NewStaff) => call<StaffSummary>('create_staff', { staff });

export const setStaffRoles = (username: string, roles: Role[]) => call<StaffSummary>('set_staff_roles', { username, roles });

export const setStaffDisabled = (username: string, disabled: boolean) =>
  call<StaffSummary>('set_staff_disabled', { username, disabled });

export const resetStaffPassword = (username: string, password: string) =>
  call<StaffSummary>('reset_staff_password', { username, password });

export const unlockStaff = (username: string) => call<StaffSummary>('unlock_staff', { username });

/** Set the idle-lock time for everyone (administrators) as typed; Rust checks it is 1–60. */
export const setIdleLockMinutes = (minutes: string) => call<SessionInfo>('set_idle_lock_minutes', { minutes });

/** The audit log, newest first, filtered by local dates, actor and action. */
export const viewAuditLog = (query: LogQuery) => call<LogPage>('view_audit_log', { query });

/** Check the audit log's hash chain and report the first broken link, if any. */
export const verifyAuditLog = () => call<VerifyReport>('verify_audit_log');

/** Who is inside, occupancy, recently seen guests and today's counts. */
export const deskToday = () => call<DeskToday>('desk_today');

/** What the one box finds: a code (any case, with or without the dash) or nickname matches. */
export const lookupGuest = (typed: string) => call<Lookup>('lookup_guest', { typed });

export const checkInGuest = (guestId: number, overCapacity = false) =>
  call<CheckedIn>('check_in_guest', { guestId, overCapacity });

export const registerAndCheckIn = (guest: NewGuest, overCapacity = false) =>
  call<CheckedIn>('register_and_check_in', { guest, overCapacity });

export const checkOutVisit = (visitId: number) => call<GuestCard>('check_out_visit', { visitId });

export const undoCheckIn = (visitId: number) => call<GuestCard>('undo_check_in', { visitId });

/** Count someone who declines a code; returns today's tally. */
export const countAnonymousGuest = () => call<number>('count_anonymous_guest');

export const guestAnswerSets = () => call<AnswerSets>('guest_answer_sets');

export const setBuildingCapacity = (capacity: string) => call<number>('set_building_capacity', { capacity });

/** Record an alert or restriction (supervisors); warns when it has no end date. */
export const recordGuestFlag = (flag: NewFlag) => call<FlagRecorded>('record_guest_flag', { flag });

export const liftGuestFlag = (flagId: number) => call<Flag>('lift_guest_flag', { flagId });

/** Alerts and restrictions in force today or later. */
export const currentGuestFlags = () => call<Flag[]>('current_guest_flags');

/** Merge a duplicate record into the one kept (supervisors). */
export const mergeGuests = (keepCode: string, duplicateCode: string) =>
  call<GuestCard>('merge_guests', { keepCode, duplicateCode });

/** Close out today (supervisors): everyone inside is checked out and the counts are frozen. */
export const closeDay = () => call<DayClosure>('close_day');

/** Earlier days nobody closed out (supervisors), newest first. */
export const daysLeftOpen = () => call<DaysLeftOpen>('days_left_open');

/** Close out an earlier day that was left open (supervisors); flagged closed late. */
export const closeEarlierDay = (date: string) => call<DayClosure>('close_earlier_day', { date });

/** The center's closing time, `HH:MM`: visits nobody checked out are settled at it. */
export const closingTime = () => call<string>('closing_time');

export const setClosingTime = (time: string) => call<string>('set_closing_time', { time });

/** The live board of one kind (shower, computer, phone) for today. */
export const scheduleBoard = (kind: string) => call<Board>('schedule_board', { kind });

/** Book a checked-in guest: the next free slot of a kind, or a resource and time. */
export const bookService = (guestId: number, target: BookingTarget) => call<Booking>('book_service', { guestId, target });

/** Start (in_use), finish (done) or cancel (cancelled) a booking. */
export const changeBooking = (bookingId: number, to: BookingState) => call<Booking>('change_booking', { bookingId, to });

export const joinWaitlist = (guestId: number, kind: string) => call<WaitingGuest>('join_waitlist', { guestId, kind });

/** Out of order with a reason, or back in order with null (supervisors). */
export const setResourceOutOfOrder = (resourceId: number, reason: string | null) =>
  call<void>('set_resource_out_of_order', { resourceId, reason });

/**
 * Call `refresh` whenever desk data changes anywhere (check-ins, bookings, ...); returns
 * the function that stops listening.
 */
export async function onDeskChanged(refresh: () => void): Promise<() => void> {
  return listen('desk-changed', () => refresh());
}

/** Every kind of resource (shower, computer, phone, and any added). */
export const resourceKinds = () => call<KindSummary[]>('resource_kinds');

export const saveResourceKind = (kind: KindInput) => call<void>('save_resource_kind', { kind });

export const saveResource = (resource: ResourceInput) => call<number>('save_resource', { resource });

/** Opening hours of a kind on an ISO weekday (1 Monday .. 7 Sunday); no times close it. */
export const setOpeningHours = (kind: string, weekday: number, opens: string | null, closes: string | null) =>
  call<void>('set_opening_hours', { kind, weekday, opens, closes });

export const blockPeriod = (block: BlockInput) => call<number>('block_period', { block });

export const setNoShowGrace = (minutes: string) => call<number>('set_no_show_grace', { minutes });

/** Today's nurse queue for the front desk: numbers and states only. */
export const queueDeskView = () => call<DeskQueue>('queue_desk_view');

/** Today's nurse queue with reasons, priorities and stations (nurses and supervisors). */
export const queueNurseView = () => call<NurseQueue>('queue_nurse_view');

/**
 * Add a checked-in guest to the nurse queue; the answer carries the number to call out. Queue
 * actions answer with the desk's line, and the whole entry only for nurses and supervisors.
 */
export const queueJoin = (input: JoinInput) => call<QueueAnswer>('queue_join', { input });

export const queueCallNext = (stationId: number) => call<QueueEntry>('queue_call_next', { stationId });

/** Start, finish (with an optional clinical note), mark left, or cancel an entry. */
export const queueChange = (entryId: number, to: QueueState, clinicalNote: string | null = null) =>
  call<QueueAnswer>('queue_change', { entryId, to, clinicalNote });

export const queueUndo = (entryId: number) => call<QueueAnswer>('queue_undo', { entryId });

export const queueAddNote = (entryId: number, body: string, corrects: number | null) =>
  call<ClinicalNote>('queue_add_note', { entryId, body, corrects });

/** The clinical notes of an entry's guest (the read is in the audit log). */
export const queueReadNotes = (entryId: number) => call<ClinicalNote[]>('queue_read_notes', { entryId });

export const recordIncident = (input: IncidentInput) => call<Incident>('record_incident', { input });

export const incidentsToday = () => call<Incident[]>('incidents_today');

export const saveQueueReason = (reason: string, label: string, active: boolean) =>
  call<ReasonOption>('save_queue_reason', { reason, label, active });

export const saveNurseStation = (id: number | null, name: string, active: boolean) =>
  call<number>('save_nurse_station', { id, name, active });

/** Categories the reader may use, partners, today's warm hand-offs and follow-ups due. */
export const referralsToday = () => call<ReferralsToday>('referrals_today');

export const makeReferral = (input: ReferralInput) => call<Referral>('make_referral', { input });

/** A guest by code and the referrals the reader may see. */
export const referralsForGuest = (code: string) => call<GuestReferrals>('referrals_for_guest', { code });

/** One referral with notes, consents and history (reading a sensitive one is audited). */
export const openReferral = (referralId: number) => call<ReferralDetail>('open_referral', { referralId });

export const changeReferralStatus = (referralId: number, to: ReferralStatus) =>
  call<Referral>('change_referral_status', { referralId, to });

export const setReferralFollowUp = (referralId: number, date: string | null) =>
  call<Referral>('set_referral_follow_up', { referralId, date });

export const addReferralNote = (referralId: number, body: string, corrects: number | null) =>
  call<ReferralNote>('add_referral_note', { referralId, body, corrects });

export const recordConsent = (referralId: number, input: ConsentInput) =>
  call<Consent>('record_consent', { referralId, input });

export const revokeConsent = (referralId: number, consentId: number) =>
  call<Consent>('revoke_consent', { referralId, consentId });

/** A referral to print, with the Part 2 notice (audited). */
export const referralPrintout = (referralId: number) => call<Printout>('referral_printout', { referralId });

export const savePartner = (partner: PartnerInput) => call<number>('save_partner', { partner });

/** The daily counts of a range of days (supervisors). */
export const reportCounts = (from: string, to: string) => call<Report>('report_counts', { from, to });

/** Export through the native save dialog; the path written, or null when cancelled. */
export const exportCounts = (from: string, to: string, format: ExportFormat, suppressSmallCells: boolean) =>
  call<string | null>('export_counts', { from, to, format, suppressSmallCells });

export const smallCellThreshold = () => call<number>('small_cell_threshold');

export const setSmallCellThreshold = (threshold: string) => call<number>('set_small_cell_threshold', { threshold });

/** The backups folder, how many automatic backups are kept, and the files there (administrators). */
export const backupOverview = () => call<BackupOverview>('backup_overview');

/** Back up through the save dialog; null when the person cancelled. */
export const backUpNow = () => call<BackupMade | null>('back_up_now');

/** How many automatic backups to keep, as typed; returns the stored number. */
export const setBackupKeep = (keep: string) => call<number>('set_backup_keep', { keep });

/** What a backup file holds, checked (integrity, schema version) before any restore. */
export const describeBackup = (path: string) => call<BackupFile>('describe_backup', { path });

/** Pick a backup file through the open dialog; null when the person cancelled. */
export const chooseBackupFile = () => call<BackupFile | null>('choose_backup_file');

/** Replace the database with a backup (the current one is saved first); logs everyone out. */
export const restoreBackup = (path: string) => call<RestoreDone>('restore_backup', { path });
