-- Schema 10: a day nobody closed out, and counts that add up.
--
-- The center is a daytime space. When a later service day begins, whatever an earlier day
-- left open is settled by the system: visits are checked out at that day's closing time
-- and marked, so the counts can tell "settled at day end" from a real check-out.
ALTER TABLE visits ADD COLUMN settled_at_day_end INTEGER NOT NULL DEFAULT 0
    CHECK (settled_at_day_end IN (0, 1));

-- A day closed out after it was over (from the list of days left open).
ALTER TABLE day_closures ADD COLUMN closed_late INTEGER NOT NULL DEFAULT 0
    CHECK (closed_late IN (0, 1));

-- The time the center's day ends, on its own clock: what a visit nobody checked out is
-- settled at.
INSERT INTO settings (key, value, updated_at)
VALUES ('center_closing_time', '17:00', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

-- A day's visits with the settled ones: counts from the index alone, as before.
DROP INDEX visits_day;
CREATE INDEX visits_day ON visits (service_date, voided_at, guest_id, after_close, settled_at_day_end);

-- A guest is new on the day of their first visit that was not undone. The registration
-- date (first_seen_date) is not that: a registration whose check-in was undone has no
-- visit at all. Kept by check-in, undo and merge like last_visit_date.
ALTER TABLE guests ADD COLUMN first_visit_date TEXT;  -- center-local YYYY-MM-DD, NULL: none
UPDATE guests SET first_visit_date = (SELECT min(v.service_date) FROM visits v
                                      WHERE v.guest_id = guests.id AND v.voided_at IS NULL);
DROP INDEX guests_first_seen;
CREATE INDEX guests_first_visit ON guests (first_visit_date) WHERE merged_into IS NULL;

-- What an earlier day left open, found at the start of each action: only the open rows.
CREATE INDEX visits_open_day ON visits (service_date)
    WHERE checked_out_at IS NULL AND voided_at IS NULL;
CREATE INDEX waitlist_waiting ON waitlist (service_date) WHERE state = 'waiting';
CREATE INDEX bookings_open_day ON bookings (service_date) WHERE state IN ('booked', 'in_use');
CREATE INDEX queue_entries_open_day ON queue_entries (service_date)
    WHERE state IN ('waiting', 'called', 'in_service');
