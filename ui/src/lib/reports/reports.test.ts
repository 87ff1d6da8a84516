import { describe, expect, it } from 'vitest';
import type { DayCounts, Report } from '../api';
import { groupName, rangeTotals, servicesOverRange } from './reports';

function day(date: string, visits: number, peak: number, showers: number): DayCounts {
  const figures = { group: 'all', joined: 2, seen: 1, leftWithoutBeingSeen: 1, cancelled: 0, medianWaitMinutes: 5, p90WaitMinutes: 5 };
  return {
    date,
    status: 'final',
    visits,
    uniqueGuests: visits,
    newGuests: 1,
    anonymousTallies: 2,
    correctionsAfterClose: 0,
    settledAtDayEnd: 0,
    peakOccupancy: peak,
    occupancyByHour: [],
    services: [
      { kind: 'shower', booked: showers + 1, done: showers, noShows: 1, cancelled: 0, minutesInUse: 20 * showers },
      { kind: 'computer', booked: 4, done: 3, noShows: 0, cancelled: 1, minutesInUse: 90 },
    ],
    nurse: { all: figures, byReason: [], byPriority: [], incidents: { incidents: 1, overdoses: 1, naloxoneDoses: 2, emsCalled: 1 } },
    referrals: [{ grouping: 'housing', made: 2, open: 1, accepted: 1, completed: 0, declined: 0, noShow: 0, cancelled: 0 }],
    alertsIssued: 0,
    restrictionsIssued: 1,
  };
}

const report: Report = {
  from: '2026-11-29',
  to: '2026-11-30',
  generatedLocal: '2026-11-30 10:00:00',
  days: [day('2026-11-29', 10, 7, 4), day('2026-11-30', 20, 12, 6)],
  uniqueGuestsInRange: 25,
};

describe('rangeTotals', () => {
  it('adds counts over the days but takes the highest peak', () => {
    const totals = rangeTotals(report);
    expect(totals.visits, 'visits add up').toBe(30);
    expect(totals.peak, 'the peak is the busiest day, not a sum').toBe(12);
    expect(totals.showersDone, 'only showers').toBe(10);
    expect(totals.workstationsDone, 'every other kind').toBe(6);
    expect(totals.naloxone).toBe(4);
    expect(totals.referrals).toBe(4);
  });
});

describe('servicesOverRange', () => {
  it('sums each kind over the days', () => {
    const shower = servicesOverRange(report).find((k) => k.kind === 'shower');
    expect(shower?.minutes, 'minutes in use add up').toBe(200);
    expect(shower?.noShows).toBe(2);
  });
});

describe('groupName', () => {
  it('reads like words', () => {
    expect(groupName('documents_and_benefits')).toBe('Documents and benefits');
  });
});
