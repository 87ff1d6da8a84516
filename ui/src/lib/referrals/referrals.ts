// What the referral screens show, kept out of the components so it can be tested.
import type { ReferralStatus } from '../api';

export const STATUS_TEXT: Record<ReferralStatus, string> = {
  made: 'made',
  sent: 'sent',
  accepted: 'accepted',
  completed: 'completed',
  declined: 'declined',
  no_show: 'no-show',
  cancelled: 'cancelled',
};

/** The status changes a referral in `status` offers, with their button text. */
export function nextSteps(status: ReferralStatus, onSite: boolean): { to: ReferralStatus; label: string }[] {
  switch (status) {
    case 'made':
      return [
        // Outside partners accept what was sent to them (with the guest's consent).
        ...(onSite ? [{ to: 'accepted' as const, label: 'Accepted' }] : [{ to: 'sent' as const, label: 'Mark sent' }]),
        { to: 'declined', label: 'Declined' },
        { to: 'no_show', label: 'No-show' },
        { to: 'cancelled', label: 'Cancel referral' },
      ];
    case 'sent':
      return [
        { to: 'accepted', label: 'Accepted' },
        { to: 'declined', label: 'Declined' },
        { to: 'no_show', label: 'No-show' },
        { to: 'cancelled', label: 'Cancel referral' },
      ];
    case 'accepted':
      return [
        { to: 'completed', label: 'Completed' },
        { to: 'declined', label: 'Declined' },
        { to: 'no_show', label: 'No-show' },
        { to: 'cancelled', label: 'Cancel referral' },
      ];
    default:
      return [];
  }
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** `135` as "Mon, Wed, Fri". */
export function weekdayNames(days: string): string {
  return [...days]
    .map((day) => WEEKDAYS[Number(day) - 1])
    .filter((name): name is string => name !== undefined)
    .join(', ');
}
