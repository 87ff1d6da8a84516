import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorTitle, isErrorCode, toAppError } from './errors';

describe('toAppError', () => {
  it('keeps a {code, message} error from Rust as it is', () => {
    expect(toAppError({ code: 'invalid_input', message: 'nickname: too long' })).toEqual({
      code: 'invalid_input',
      message: 'nickname: too long',
    });
  });

  it('turns an unknown code into internal rather than trusting it', () => {
    const err = toAppError({ code: 'drop_tables', message: 'x' });
    expect(err.code).toBe('internal');
  });

  it('turns a thrown Error, a string and nothing at all into internal errors with a message', () => {
    expect(toAppError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
    expect(toAppError('plain text')).toEqual({ code: 'internal', message: 'plain text' });
    // Tauri's own refusal of arguments of the wrong type is a mistake in the input.
    expect(toAppError('invalid args `code` for command `lookup_guest`: invalid type').code).toBe(
      'invalid_input',
    );
    expect(toAppError(undefined).message.length).toBeGreaterThan(0);
    expect(toAppError(null).code).toBe('internal');
  });

  it('rejects a message that is not a string', () => {
    expect(toAppError({ code: 'not_found', message: 42 }).code).toBe('internal');
  });
});

describe('error codes', () => {
  it('has a title for every code', () => {
    for (const code of ERROR_CODES) {
      expect(errorTitle(code).length, code).toBeGreaterThan(0);
    }
  });

  it('recognises only the closed set', () => {
    expect(isErrorCode('conflict')).toBe(true);
    expect(isErrorCode('CONFLICT')).toBe(false);
    expect(isErrorCode(7)).toBe(false);
  });
});
