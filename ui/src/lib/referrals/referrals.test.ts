import { describe, expect, it } from 'vitest';
import { nextSteps, weekdayNames } from './referrals';

describe('nextSteps', () => {
  it('offers sending only for partners outside the center', () => {
    expect(nextSteps('made', false).map((s) => s.to), 'an outside partner is sent the referral').toContain('sent');
    expect(nextSteps('made', true).map((s) => s.to), 'an on-site partner gets a warm hand-off, not a disclosure').not.toContain('sent');
    expect(nextSteps('made', false).map((s) => s.to), 'an outside partner accepts only what was sent').not.toContain('accepted');
  });
  it('offers nothing once a referral is settled', () => {
    for (const status of ['completed', 'declined', 'no_show', 'cancelled'] as const) {
      expect(nextSteps(status, false), `${status} is final`).toEqual([]);
    }
  });
});

describe('weekdayNames', () => {
  it('names ISO weekdays and skips anything else', () => {
    expect(weekdayNames('135')).toBe('Mon, Wed, Fri');
    expect(weekdayNames('7x'), 'a stray character is ignored').toBe('Sun');
  });
});
