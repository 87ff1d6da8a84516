// The only module that talks to the Rust side. Components call these functions and get
// typed results; every failure is rejected as an AppError `{code, message}`.
import { invoke } from '@tauri-apps/api/core';
import type { AppStatus } from './bindings/AppStatus';
import { toAppError } from './errors';

export type { AppStatus };

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (thrown) {
    throw toAppError(thrown);
  }
}

/** Version, database file, schema version and time zone; fails when the database could not be opened. */
export function appStatus(): Promise<AppStatus> {
  return call<AppStatus>('app_status');
}
