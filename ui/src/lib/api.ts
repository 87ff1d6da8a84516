// The only module that talks to the Rust side. Components call these functions and get
// typed results; every failure is rejected as an AppError `{code, message}`.
import { invoke } from '@tauri-apps/api/core';
import type { AppStatus } from './bindings/AppStatus';
import type { LogLine } from './bindings/LogLine';
import type { LogPage } from './bindings/LogPage';
import type { LogQuery } from './bindings/LogQuery';
import type { NewStaff } from './bindings/NewStaff';
import type { Role } from './bindings/Role';
import type { SessionInfo } from './bindings/SessionInfo';
import type { StaffSummary } from './bindings/StaffSummary';
import type { VerifyReport } from './bindings/VerifyReport';
import { toAppError } from './errors';

export type { AppStatus, LogLine, LogPage, LogQuery, NewStaff, Role, SessionInfo, StaffSummary, VerifyReport };

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (thrown) {
    throw toAppError(thrown);
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
