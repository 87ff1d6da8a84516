import { describe, expect, it } from 'vitest';
import { liveSeconds, waitText } from './queue';

describe('waitText', () => {
  it('reads as minutes, then hours and minutes', () => {
    expect(waitText(0), 'a fresh entry has waited under a minute').toBe('under 1 min');
    expect(waitText(59)).toBe('under 1 min');
    expect(waitText(12 * 60 + 30), 'minutes are whole, rounded down').toBe('12 min');
    expect(waitText(65 * 60), 'an hour and more shows hours').toBe('1 h 05 min');
    expect(waitText(-5), 'a clock skew never shows a negative wait').toBe('under 1 min');
  });
});

describe('liveSeconds', () => {
  it('keeps counting only while the guest is still waiting', () => {
    expect(liveSeconds(120, 'waiting', 1_000, 61_000), 'a minute after loading, a waiting guest has waited a minute more').toBe(180);
    expect(liveSeconds(120, 'called', 1_000, 61_000), 'the wait stops when the number is called').toBe(120);
  });
});
