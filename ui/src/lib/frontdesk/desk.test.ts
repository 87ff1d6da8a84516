import { describe, expect, it } from 'vitest';
import { dayName, duration, flagText, guestLabel, listShortcut, moveInList, occupancyText, plural } from './desk';

describe('front-desk rules', () => {
  it('names a service day with its weekday, whatever the time zone of the PC', () => {
    expect(dayName('2026-11-30')).toBe('Monday 30 November 2026');
    expect(dayName('2026-03-08')).toBe('Sunday 8 March 2026');
    expect(dayName('not a date')).toBe('not a date');
    expect(dayName('2026-02-30')).toBe('2026-02-30');
  });

  it('names a guest by nickname and code, or code alone', () => {
    expect(guestLabel({ code: 'K7M-4QX', nickname: 'Sunny' })).toBe('Sunny (K7M-4QX)');
    expect(guestLabel({ code: 'K7M-4QX', nickname: null })).toBe('K7M-4QX');
  });

  it('moves through a list with the arrow keys and back up to the box', () => {
    expect(moveInList(-1, 'ArrowDown', 3)).toBe(0);
    expect(moveInList(2, 'ArrowDown', 3)).toBe(2);
    expect(moveInList(0, 'ArrowUp', 3)).toBe(-1);
    expect(moveInList(1, 'End', 3)).toBe(2);
    expect(moveInList(0, 'a', 3)).toBeNull();
    expect(moveInList(0, 'ArrowDown', 0)).toBeNull();
  });

  it('says how full the building is', () => {
    expect(occupancyText({ inside: 10, capacity: 60, level: 'normal' })).toBe('10 of 60 inside.');
    expect(occupancyText({ inside: 54, capacity: 60, level: 'warning' })).toContain('Nearly full');
    expect(occupancyText({ inside: 60, capacity: 60, level: 'full' })).toContain('needs a supervisor');
  });

  it('puts an alert or restriction in one sentence', () => {
    expect(flagText({ kind: 'alert', scope: null, reason: 'asks for Jo', endsOn: null })).toBe(
      'Alert (until lifted): asks for Jo',
    );
    expect(flagText({ kind: 'restriction', scope: 'showers', reason: 'damage', endsOn: '2026-12-31' })).toBe(
      'Restricted from showers until 2026-12-31: damage',
    );
  });

  it('picks a listed guest with F1–F8 and nothing else', () => {
    const key = (k: string, mods = {}) => ({ key: k, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
    expect(listShortcut(key('F1'))).toBe(0);
    expect(listShortcut(key('F8'))).toBe(7);
    expect(listShortcut(key('F9'))).toBeNull();
    expect(listShortcut(key('F2', { altKey: true }))).toBeNull();
    expect(listShortcut(key('1'))).toBeNull();
  });

  it('counts in words', () => {
    expect(plural(1, 'guest')).toBe('1 guest');
    expect(plural(0, 'visit')).toBe('0 visits');
  });

  it('writes durations the way people say them', () => {
    expect(duration(42)).toBe('42 min');
    expect(duration(65)).toBe('1 h 05 min');
  });
});
