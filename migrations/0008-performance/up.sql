-- Indexes found by `make bench` on years of demo data (README: Performance): the desk's
-- screens and each day's counts must read that day, never the whole history.

-- Recently seen guests on the front desk, and the report's stays that overlap a day; it
-- holds every column those read, so they never visit the table.
CREATE INDEX visits_arrivals ON visits (checked_in_at, voided_at, checked_out_at, guest_id);

-- A day's visits: counts, distinct guests and corrections from the index alone (it takes
-- the place of the one on service_date).
DROP INDEX visits_service_date;
CREATE INDEX visits_day ON visits (service_date, voided_at, guest_id, after_close);

-- A day's new guests (close-out and the daily counts).
CREATE INDEX guests_first_seen ON guests (first_seen_date);

-- One resource's bookings on one day (the board, the counts per kind).
CREATE INDEX bookings_resource_day ON bookings (resource_id, service_date, starts_at);

-- What holds a resource from a given time on (finding the next free slot): bookings that
-- end after it, which are today's, not the years before.
CREATE INDEX bookings_resource_blocked ON bookings (resource_id, blocked_until);

-- Bookings by state: late ones to release as no-shows, open ones at close-out.
CREATE INDEX bookings_state ON bookings (state, starts_at);

-- The entry a nurse station is serving, and a guest's place in the queue.
CREATE INDEX queue_entries_station ON queue_entries (station_id, state);
CREATE INDEX queue_entries_guest ON queue_entries (guest_id, state);

-- The nickname search shows the most recently seen first. Years of guests share common
-- starts (over a thousand "ma…"), so each guest's last visit is stored (kept by check-in,
-- undo and merge) and the search orders from this index alone.
ALTER TABLE guests ADD COLUMN last_visit_date TEXT;   -- center-local YYYY-MM-DD, NULL: none
UPDATE guests SET last_visit_date = (SELECT max(v.service_date) FROM visits v
                                     WHERE v.guest_id = guests.id AND v.voided_at IS NULL);
DROP INDEX guests_nickname_key;
CREATE INDEX guests_nickname_recent ON guests (nickname_key, merged_into, last_visit_date)
    WHERE nickname_key IS NOT NULL;
