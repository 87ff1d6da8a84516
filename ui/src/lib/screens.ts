// The screens of the app, in navigation order. Alt+<key> jumps to a screen.
// `roles` decides who sees a screen in the navigation; Rust checks every action anyway.
import type { Role } from './bindings/Role';

export interface Screen {
  id: string;
  label: string;
  key: string;
  summary: string;
  roles: readonly Role[];
}

const EVERYONE: readonly Role[] = ['front_desk', 'nurse', 'supervisor', 'admin'];
const GUEST_WORK: readonly Role[] = ['front_desk', 'nurse', 'supervisor'];

export const SCREENS: readonly Screen[] = [
  {
    id: 'start',
    roles: EVERYONE,
    label: 'Start',
    key: '1',
    summary: 'The app and its database.',
  },
  {
    id: 'front-desk',
    roles: GUEST_WORK,
    label: 'Front desk',
    key: '2',
    summary: 'Check guests in and out by code or nickname, see who is inside, alerts and restrictions.',
  },
  {
    id: 'schedule',
    roles: ['front_desk', 'supervisor'],
    label: 'Showers & workstations',
    key: '3',
    summary: 'Book showers, computers and phones; the waitlist and the live board.',
  },
  {
    id: 'nurse-queue',
    roles: GUEST_WORK,
    label: 'Nurse queue',
    key: '4',
    summary: 'Queue numbers, call next, clinical notes and on-site incidents.',
  },
  {
    id: 'referrals',
    roles: GUEST_WORK,
    label: 'Referrals',
    key: '5',
    summary: 'Referrals to partners, follow-ups, notes and consent.',
  },
  {
    id: 'reports',
    roles: ['supervisor'],
    label: 'Reports',
    key: '6',
    summary: 'Daily counts with charts, exported to CSV and XLSX.',
  },
  {
    id: 'admin',
    roles: ['admin'],
    label: 'Admin',
    key: '7',
    summary: 'Staff accounts, settings and backups.',
  },
  {
    id: 'audit',
    roles: ['supervisor', 'admin'],
    label: 'Audit log',
    key: '8',
    summary: 'Who did what and when, with a check that nothing was changed afterwards.',
  },
];

/** The screens a person holding `roles` may use, in navigation order. */
export function screensFor(roles: readonly Role[]): Screen[] {
  return SCREENS.filter((screen) => screen.roles.some((role) => roles.includes(role)));
}

/** The screen an Alt+<key> press selects among `available`, if any. */
export function screenForShortcut(
  event: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'key'>,
  available: readonly Screen[] = SCREENS,
): Screen | undefined {
  if (!event.altKey || event.ctrlKey || event.metaKey) {
    return undefined;
  }
  return available.find((screen) => screen.key === event.key);
}

/** A readable list of roles, e.g. "front desk, nurse". */
export function roleNames(roles: readonly Role[]): string {
  return roles.map((role) => role.replace('_', ' ')).join(', ');
}
