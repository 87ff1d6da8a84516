// The closed set of error codes, mirrored from Rust (bindings/ErrorCode.ts is generated).
// The UI decides what to show from the code, never from the message text.
import type { AppError } from './bindings/AppError';
import type { ErrorCode } from './bindings/ErrorCode';

export type { AppError, ErrorCode };

export const ERROR_CODES = [
  'invalid_input',
  'not_found',
  'conflict',
  'capacity_reached',
  'not_authenticated',
  'permission_denied',
  'database_missing',
  'not_engagement_desk_database',
  'database_too_new',
  'schema_outdated',
  'database_corrupt',
  'database_busy',
  'database_unavailable',
  'disk_full',
  'read_only',
  'already_open',
  'storage',
  'internal',
] as const satisfies readonly ErrorCode[];

// Fails to type-check when Rust gains a code that this list lacks.
type MissingCodes = Exclude<ErrorCode, (typeof ERROR_CODES)[number]>;
const everyCodeListed: [MissingCodes] extends [never] ? true : MissingCodes = true;
void everyCodeListed;

const KNOWN = new Set<string>(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && KNOWN.has(value);
}

/** Whatever was thrown, as `{code, message}`; anything unrecognised is `internal`. */
export function toAppError(thrown: unknown): AppError {
  if (typeof thrown === 'object' && thrown !== null) {
    const { code, message } = thrown as { code?: unknown; message?: unknown };
    if (isErrorCode(code) && typeof message === 'string') {
      return { code, message };
    }
    if (thrown instanceof Error) {
      return { code: 'internal', message: thrown.message };
    }
  }
  if (typeof thrown === 'string' && thrown.length > 0) {
    // Tauri refuses arguments of the wrong shape before the command runs, with text only.
    const code = thrown.startsWith('invalid args') ? 'invalid_input' : 'internal';
    return { code, message: thrown };
  }
  return { code: 'internal', message: 'Something went wrong and gave no explanation.' };
}

/** A short heading for an error, by code. */
export function errorTitle(code: ErrorCode): string {
  switch (code) {
    case 'invalid_input':
      return 'Please check what was entered';
    case 'not_found':
      return 'Not found';
    case 'conflict':
      return 'That cannot be done right now';
    case 'capacity_reached':
      return 'The building is full';
    case 'not_authenticated':
      return 'Please log in';
    case 'permission_denied':
      return 'Not allowed for your role';
    case 'database_missing':
    case 'not_engagement_desk_database':
    case 'database_too_new':
    case 'schema_outdated':
    case 'database_corrupt':
    case 'database_unavailable':
      return 'The database cannot be used';
    case 'database_busy':
      return 'The database is busy';
    case 'disk_full':
      return 'The disk is full: not saved';
    case 'read_only':
      return 'The database is read-only: not saved';
    case 'already_open':
      return 'Engagement Desk is already open';
    case 'storage':
      return 'Saving or reading failed';
    case 'internal':
      return 'Something went wrong';
  }
}
