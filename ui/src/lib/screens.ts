// The screens of the app, in navigation order. Alt+<key> jumps to a screen.
export interface Screen {
  id: string;
  label: string;
  key: string;
  summary: string;
}

export const SCREENS: readonly Screen[] = [
  {
    id: 'start',
    label: 'Start',
    key: '1',
    summary: 'The app and its database.',
  },
  {
    id: 'front-desk',
    label: 'Front desk',
    key: '2',
    summary: 'Check guests in and out by code or nickname, see who is inside, alerts and restrictions.',
  },
  {
    id: 'schedule',
    label: 'Showers & workstations',
    key: '3',
    summary: 'Book showers, computers and phones; the waitlist and the live board.',
  },
  {
    id: 'nurse-queue',
    label: 'Nurse queue',
    key: '4',
    summary: 'Queue numbers, call next, clinical notes and on-site incidents.',
  },
  {
    id: 'referrals',
    label: 'Referrals',
    key: '5',
    summary: 'Referrals to partners, follow-ups, notes and consent.',
  },
  {
    id: 'reports',
    label: 'Reports',
    key: '6',
    summary: 'Daily counts with charts, exported to CSV and XLSX.',
  },
  {
    id: 'admin',
    label: 'Admin',
    key: '7',
    summary: 'Staff accounts, settings and backups.',
  },
];

/** The screen an Alt+<key> press selects, if any. */
export function screenForShortcut(event: Pick<KeyboardEvent, 'altKey' | 'ctrlKey' | 'metaKey' | 'key'>): Screen | undefined {
  if (!event.altKey || event.ctrlKey || event.metaKey) {
    return undefined;
  }
  return SCREENS.find((screen) => screen.key === event.key);
}
