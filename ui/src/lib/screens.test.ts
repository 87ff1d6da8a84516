import { describe, expect, it } from 'vitest';
import { SCREENS, screenForShortcut } from './screens';

const press = (key: string, mods: Partial<Record<'altKey' | 'ctrlKey' | 'metaKey', boolean>> = {}) => ({
  key,
  altKey: false,
  ctrlKey: false,
  metaKey: false,
  ...mods,
});

describe('screen shortcuts', () => {
  it('Alt+digit selects the screen with that key', () => {
    expect(screenForShortcut(press('2', { altKey: true }))?.id).toBe('front-desk');
  });

  it('ignores plain digits, so typing a guest code never switches screens', () => {
    expect(screenForShortcut(press('2'))).toBeUndefined();
  });

  it('ignores Ctrl+Alt combinations (AltGr on many keyboards)', () => {
    expect(screenForShortcut(press('2', { altKey: true, ctrlKey: true }))).toBeUndefined();
  });

  it('gives every screen a distinct id and key', () => {
    expect(new Set(SCREENS.map((s) => s.id)).size).toBe(SCREENS.length);
    expect(new Set(SCREENS.map((s) => s.key)).size).toBe(SCREENS.length);
  });
});
