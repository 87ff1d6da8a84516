// Small rules of the front-desk screen, kept out of the components so they can be tested.
import type { CheckedIn } from '../bindings/CheckedIn';
import type { DeskToday } from '../bindings/DeskToday';
import type { Occupancy } from '../bindings/Occupancy';

/** How a guest is named on screen: nickname and code, or the code alone. */
export function guestLabel(guest: { code: string; nickname: string | null }): string {
  return guest.nickname ? `${guest.nickname} (${guest.code})` : guest.code;
}

/** The index a key moves to in a list of `length` items (ArrowUp/Down, Home, End), or null. */
export function moveInList(current: number, key: string, length: number): number | null {
  if (length === 0) return null;
  switch (key) {
    case 'ArrowDown':
      return Math.min(current + 1, length - 1);
    case 'ArrowUp':
      return current <= 0 ? -1 : current - 1;
    case 'Home':
      return 0;
    case 'End':
      return length - 1;
    default:
      return null;
  }
}

/** The sentence beside the occupancy count. */
export function occupancyText(occupancy: Occupancy): string {
  const { inside, capacity, level } = occupancy;
  switch (level) {
    case 'full':
      return `Full: ${inside} of ${capacity}. Check-in needs a supervisor.`;
    case 'warning':
      return `Nearly full: ${inside} of ${capacity} (${Math.round((inside / capacity) * 100)} %).`;
    default:
      return `${inside} of ${capacity} inside.`;
  }
}

/** Minutes as people say them: "42 min", "1 h 05 min". */
export function duration(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** "1 visit", "2 visits". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One alert or restriction in a sentence: "Restricted from showers until 2026-12-31: reason". */
export function flagText(flag: {
  kind: 'alert' | 'restriction';
  scope: string | null;
  reason: string;
  endsOn: string | null;
}): string {
  const until = flag.endsOn ? `until ${flag.endsOn}` : 'until lifted';
  return flag.kind === 'alert'
    ? `Alert (${until}): ${flag.reason}`
    : `Restricted from ${flag.scope ?? 'the building'} ${until}: ${flag.reason}`;
}

/** The list place (0–7) an F1–F8 press picks, or null for any other key. */
export function listShortcut(event: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey' | 'shiftKey'>): number | null {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  const match = /^F([1-8])$/.exec(event.key);
  return match ? Number(match[1]) - 1 : null;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** A service date as staff say it: "Monday 30 November 2026" (the same in every web view,
 * whatever its locale data; the date is the center's, so no time zone applies). */
export function dayName(serviceDate: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(serviceDate);
  if (!match) return serviceDate;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const at = new Date(Date.UTC(year, month - 1, day));
  if (at.getUTCMonth() !== month - 1) return serviceDate;
  return `${WEEKDAYS[at.getUTCDay()]} ${day} ${MONTHS[month - 1]} ${year}`;
}

/**
 * The desk right after a check-in, from the check-in's answer alone: the guest's row at the
 * end of the inside list (once, should a reload have brought it already), the occupancy the
 * answer gives, and the guest no longer among the recently seen. Counts and the undo line
 * come with the next full load. Rows that did not change are the same objects, so only the
 * new row is drawn.
 */
export function withCheckIn(today: DeskToday, done: CheckedIn): DeskToday {
  const row = done.insideRow;
  const known = today.inside.some((guest) => guest.visitId === row.visitId);
  return {
    ...today,
    occupancy: done.occupancy,
    inside: known ? today.inside : [...today.inside, row],
    recent: today.recent.some((guest) => guest.id === done.guest.id)
      ? today.recent.filter((guest) => guest.id !== done.guest.id)
      : today.recent,
  };
}

/**
 * A fresh load of the desk that keeps what is shown wherever nothing changed: the same row
 * objects for unchanged guests (and the same lists when no row changed), so a reload of a
 * long inside list redraws only the rows that differ.
 */
export function keepUnchanged(shown: DeskToday | null, fresh: DeskToday): DeskToday {
  if (!shown) return fresh;
  return {
    ...fresh,
    occupancy: sameFields(shown.occupancy, fresh.occupancy) ? shown.occupancy : fresh.occupancy,
    inside: keepRows(shown.inside, fresh.inside, (guest) => guest.visitId),
    recent: keepRows(shown.recent, fresh.recent, (guest) => guest.id),
  };
}

function keepRows<T extends object>(shown: T[], fresh: T[], key: (row: T) => number): T[] {
  const before = new Map(shown.map((row) => [key(row), row]));
  let changed = shown.length !== fresh.length;
  const rows = fresh.map((row, index) => {
    const old = before.get(key(row));
    if (old && sameFields(old, row)) {
      if (shown[index] !== old) changed = true;
      return old;
    }
    changed = true;
    return row;
  });
  return changed ? rows : shown;
}

/** The same own fields with the same (primitive) values. */
function sameFields(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  return keys.length === Object.keys(right).length && keys.every((key) => left[key] === right[key]);
}
