// What the nurse-queue screens show, kept out of the components so it can be tested.
import type { IncidentOutcome, QueueState } from '../api';

export const STATE_TEXT: Record<QueueState, string> = {
  waiting: 'waiting',
  called: 'called',
  in_service: 'with the nurse',
  done: 'seen',
  left: 'left without being seen',
  cancelled: 'cancelled',
};

export const OUTCOME_TEXT: Record<IncidentOutcome, string> = {
  recovered_on_site: 'Recovered on site',
  transported: 'Transported to hospital',
  refused_transport: 'Refused transport',
  left_before_ems: 'Left before EMS arrived',
  deceased: 'Deceased',
  other: 'Other',
};

/**
 * Seconds waited now: what the server said when the list was loaded, plus the time since
 * for entries still waiting (the others stopped waiting when they were called).
 */
export function liveSeconds(waitedSeconds: number, state: QueueState, loadedAt: number, now: number): number {
  const since = state === 'waiting' ? Math.max(0, Math.floor((now - loadedAt) / 1000)) : 0;
  return waitedSeconds + since;
}

/** A wait for people: "under 1 min", "12 min", "1 h 05 min". */
export function waitText(seconds: number): string {
  const minutes = Math.floor(Math.max(0, seconds) / 60);
  if (minutes < 1) return 'under 1 min';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}
