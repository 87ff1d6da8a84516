import { describe, expect, it } from 'vitest';
import { FormAction } from './formAction.svelte';

describe('FormAction', () => {
  it('runs one submission at a time and is busy meanwhile', async () => {
    const action = new FormAction();
    let release: () => void = () => {};
    let runs = 0;
    const first = action.run(() => {
      runs += 1;
      return new Promise<void>((resolve) => (release = resolve));
    });
    expect(action.busy).toBe(true);
    await action.run(async () => {
      runs += 1;
    });
    expect(runs).toBe(1);
    release();
    await first;
    expect(action.busy).toBe(false);
  });

  it('keeps the error of a failed attempt as {code, message} and clears it on the next', async () => {
    const action = new FormAction();
    await action.run(async () => {
      throw { code: 'not_authenticated', message: 'the username or password is not right' };
    });
    expect(action.error).toEqual({ code: 'not_authenticated', message: 'the username or password is not right' });
    await action.run(async () => {});
    expect(action.error).toBeNull();
  });
});
