import { beforeEach, describe, expect, it, vi } from 'vitest';

// The Rust side, as the web view sees it: every command answers with `answer`.
let answer: () => Promise<unknown> = async () => null;
vi.mock('@tauri-apps/api/core', () => ({ invoke: () => answer() }));
vi.mock('@tauri-apps/api/event', () => ({ listen: async () => () => {} }));

const { deskToday, login, onSessionRefused, unlockSession } = await import('./api');

describe('a session refused by Rust', () => {
  let told = 0;
  beforeEach(() => {
    told = 0;
  });

  it('is announced when any command, even a background refresh, is refused for the session', async () => {
    const stop = onSessionRefused(() => (told += 1));
    answer = async () => {
      throw { code: 'not_authenticated', message: 'the screen locked after being idle; unlock it with your password' };
    };
    await expect(deskToday()).rejects.toMatchObject({ code: 'not_authenticated' });
    expect(told).toBe(1);
    stop();
  });

  it('is not announced for a wrong password on the login form or the lock screen', async () => {
    const stop = onSessionRefused(() => (told += 1));
    answer = async () => {
      throw { code: 'not_authenticated', message: 'that password is not right' };
    };
    await expect(login('pat', 'wrong')).rejects.toMatchObject({ code: 'not_authenticated' });
    await expect(unlockSession('wrong')).rejects.toMatchObject({ code: 'not_authenticated' });
    expect(told).toBe(0);
    stop();
  });

  it('is not announced for other refusals', async () => {
    const stop = onSessionRefused(() => (told += 1));
    answer = async () => {
      throw { code: 'permission_denied', message: 'your role does not allow this' };
    };
    await expect(deskToday()).rejects.toMatchObject({ code: 'permission_denied' });
    expect(told).toBe(0);
    stop();
  });
});
