import { describe, expect, it } from 'vitest';
import type { CheckedIn } from '../bindings/CheckedIn';
import type { DeskToday } from '../bindings/DeskToday';
import {
  dayName,
  duration,
  flagText,
  guestLabel,
  keepUnchanged,
  listShortcut,
  moveInList,
  occupancyText,
  plural,
  withCheckIn,
} from './desk';

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

describe('the desk after a check-in and after a reload', () => {
  const row = (visitId: number, minutesInside = 5) => ({
    visitId,
    guestId: visitId * 10,
    code: `K7M-${visitId}QX`,
    nickname: null,
    checkedInLocal: '09:14',
    minutesInside,
  });
  const card = (id: number) => ({
    id,
    code: `ABC-${id}DE`,
    nickname: `Guest ${id}`,
    firstSeenDate: '2026-01-01',
    lastVisitDate: '2026-11-29',
    openVisitId: null,
  });
  const desk = (inside: ReturnType<typeof row>[], recent: ReturnType<typeof card>[]): DeskToday => ({
    serviceDate: '2026-11-30',
    occupancy: { inside: inside.length, capacity: 90, level: 'normal' },
    inside,
    recent,
    visitsToday: 3,
    guestsToday: 3,
    talliesToday: 0,
    undoable: null,
    closed: null,
  });
  const checkedIn = (visitId: number, guestId: number): CheckedIn => ({
    guest: { ...card(guestId), openVisitId: visitId },
    visitId,
    occupancy: { inside: 3, capacity: 90, level: 'normal' },
    overCapacity: false,
    newGuest: false,
    flags: [],
    insideRow: row(visitId, 0),
  });

  it('adds the answer’s row once, keeps the other rows, and takes the guest out of the recently seen', () => {
    const shown = desk([row(1), row(2)], [card(7), card(8)]);
    const after = withCheckIn(shown, checkedIn(3, 7));
    expect(after.inside.map((guest) => guest.visitId)).toEqual([1, 2, 3]);
    expect(after.inside[0]).toBe(shown.inside[0]);
    expect(after.occupancy.inside).toBe(3);
    expect(after.recent.map((guest) => guest.id)).toEqual([8]);
    expect(withCheckIn(after, checkedIn(3, 7)).inside).toHaveLength(3);
    expect(shown.inside).toHaveLength(2);
  });

  it('keeps unchanged rows and lists on a reload, and takes what changed', () => {
    const shown = desk([row(1), row(2)], [card(7)]);
    const same = keepUnchanged(shown, desk([row(1), row(2)], [card(7)]));
    expect(same.inside).toBe(shown.inside);
    expect(same.recent).toBe(shown.recent);
    expect(same.occupancy).toBe(shown.occupancy);

    const later = keepUnchanged(shown, desk([row(1), row(2, 6), row(4)], [card(7)]));
    expect(later.inside[0]).toBe(shown.inside[0]);
    expect(later.inside[1]).not.toBe(shown.inside[1]);
    expect(later.inside.map((guest) => [guest.visitId, guest.minutesInside])).toEqual([
      [1, 5],
      [2, 6],
      [4, 5],
    ]);
    const fewer = keepUnchanged(shown, desk([row(2)], [card(7)]));
    expect(fewer.inside).toEqual([row(2)]);
    expect(keepUnchanged(null, shown)).toBe(shown);
  });
});
