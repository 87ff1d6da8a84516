// The only module that talks to the Rust side. Components call these functions and get
// typed results; every failure is rejected as an AppError `{code, message}`.
import { invoke } from '@tauri-apps/api/core';
import type { AppStatus } from './bindings/AppStatus';
import type { NewStaff } from './bindings/NewStaff';
import type { Role } from './bindings/Role';
import type { SessionInfo } from './bindings/SessionInfo';
import type { StaffSummary } from './bindings/StaffSummary';
import { toAppError } from './errors';

export type { AppStatus, NewStaff, Role, SessionInfo, StaffSummary };

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
