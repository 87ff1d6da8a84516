// Sums over a report's days for the screen (the files are made in Rust).
import type { DayCounts, Report } from '../api';

export interface RangeTotals {
  visits: number;
  newGuests: number;
  tallies: number;
  peak: number;
  showersDone: number;
  workstationsDone: number;
  nurseJoined: number;
  nurseSeen: number;
  nurseLeft: number;
  incidents: number;
  overdoses: number;
  naloxone: number;
  referrals: number;
  alerts: number;
  restrictions: number;
}

const add = (days: DayCounts[], pick: (day: DayCounts) => number) => days.reduce((sum, day) => sum + pick(day), 0);

export function rangeTotals(report: Report): RangeTotals {
  const days = report.days;
  return {
    visits: add(days, (d) => d.visits),
    newGuests: add(days, (d) => d.newGuests),
    tallies: add(days, (d) => d.anonymousTallies),
    peak: days.reduce((max, d) => Math.max(max, d.peakOccupancy), 0),
    showersDone: add(days, (d) => d.services.filter((k) => k.kind === 'shower').reduce((s, k) => s + k.done, 0)),
    workstationsDone: add(days, (d) => d.services.filter((k) => k.kind !== 'shower').reduce((s, k) => s + k.done, 0)),
    nurseJoined: add(days, (d) => d.nurse.all.joined),
    nurseSeen: add(days, (d) => d.nurse.all.seen),
    nurseLeft: add(days, (d) => d.nurse.all.leftWithoutBeingSeen),
    incidents: add(days, (d) => d.nurse.incidents.incidents),
    overdoses: add(days, (d) => d.nurse.incidents.overdoses),
    naloxone: add(days, (d) => d.nurse.incidents.naloxoneDoses),
    referrals: add(days, (d) => d.referrals.reduce((s, g) => s + g.made, 0)),
    alerts: add(days, (d) => d.alertsIssued),
    restrictions: add(days, (d) => d.restrictionsIssued),
  };
}

/** Per kind of resource over the range: done, no-shows, cancelled, minutes in use. */
export function servicesOverRange(report: Report): { kind: string; done: number; noShows: number; cancelled: number; minutes: number }[] {
  const byKind = new Map<string, { kind: string; done: number; noShows: number; cancelled: number; minutes: number }>();
  for (const day of report.days) {
    for (const k of day.services) {
      const sum = byKind.get(k.kind) ?? { kind: k.kind, done: 0, noShows: 0, cancelled: 0, minutes: 0 };
      sum.done += k.done;
      sum.noShows += k.noShows;
      sum.cancelled += k.cancelled;
      sum.minutes += k.minutesInUse;
      byKind.set(k.kind, sum);
    }
  }
  return [...byKind.values()];
}

/** Referrals per category group over the range, with outcomes. */
export function referralsOverRange(report: Report) {
  const byGroup = new Map<string, { grouping: string; made: number; open: number; accepted: number; completed: number; declined: number; noShow: number; cancelled: number }>();
  for (const day of report.days) {
    for (const g of day.referrals) {
      const sum = byGroup.get(g.grouping) ?? { grouping: g.grouping, made: 0, open: 0, accepted: 0, completed: 0, declined: 0, noShow: 0, cancelled: 0 };
      sum.made += g.made;
      sum.open += g.open;
      sum.accepted += g.accepted;
      sum.completed += g.completed;
      sum.declined += g.declined;
      sum.noShow += g.noShow;
      sum.cancelled += g.cancelled;
      byGroup.set(g.grouping, sum);
    }
  }
  return [...byGroup.values()];
}

/** `substance_use_treatment` as "Substance use treatment". */
export function groupName(group: string): string {
  const words = group.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
