import { describe, expect, it } from 'vitest';
import { SCREENS, screenForShortcut, screensFor } from './screens';

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

describe('screens by role', () => {
  const ids = (roles: Parameters<typeof screensFor>[0]) => screensFor(roles).map((s) => s.id);

  it('shows front-desk staff only what their work needs', () => {
    expect(ids(['front_desk'])).toEqual(['start', 'front-desk', 'schedule', 'nurse-queue', 'referrals']);
  });

  it('shows an administrator no guest screens', () => {
    expect(ids(['admin'])).toEqual(['start', 'admin', 'audit']);
  });

  it('shows supervisors the reports but not staff administration', () => {
    expect(ids(['supervisor'])).toContain('reports');
    expect(ids(['supervisor'])).toContain('audit');
    expect(ids(['supervisor'])).not.toContain('admin');
  });

  it('keeps the audit log away from front desk and nurses', () => {
    expect(ids(['front_desk', 'nurse'])).not.toContain('audit');
  });

  it('combines the screens of several roles', () => {
    expect(ids(['nurse', 'admin'])).toEqual(['start', 'front-desk', 'nurse-queue', 'referrals', 'admin', 'audit']);
  });

  it('ignores shortcuts to screens the role cannot use', () => {
    const altSeven = { key: '7', altKey: true, ctrlKey: false, metaKey: false };
    expect(screenForShortcut(altSeven, screensFor(['front_desk']))).toBeUndefined();
    expect(screenForShortcut(altSeven, screensFor(['admin']))?.id).toBe('admin');
  });
});
