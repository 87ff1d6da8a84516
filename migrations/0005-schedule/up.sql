-- Schema 5: showers and workstations. Resources of a kind, opening hours per kind and
-- weekday, and bookings that never overlap on one resource (cleaning buffer included).

CREATE TABLE resource_kinds (
    kind                    TEXT PRIMARY KEY CHECK (length(kind) BETWEEN 1 AND 40),
    label                   TEXT NOT NULL,
    default_slot_minutes    INTEGER NOT NULL CHECK (default_slot_minutes BETWEEN 5 AND 240),
    default_buffer_minutes  INTEGER NOT NULL CHECK (default_buffer_minutes BETWEEN 0 AND 120),
    daily_limit             INTEGER NOT NULL CHECK (daily_limit BETWEEN 1 AND 20),
    -- The restriction (from the front-desk flags) that keeps a guest from this kind.
    restriction_scope       TEXT CHECK (restriction_scope IN ('showers', 'workstations'))
) STRICT;

INSERT INTO resource_kinds VALUES
    ('shower', 'Shower', 20, 10, 1, 'showers'),
    ('computer', 'Computer', 30, 0, 2, 'workstations'),
    ('phone', 'Phone', 30, 0, 2, 'workstations');

CREATE TABLE resources (
    id                   INTEGER PRIMARY KEY,
    kind                 TEXT NOT NULL REFERENCES resource_kinds (kind),
    name                 TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 40),
    slot_minutes         INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    buffer_minutes       INTEGER NOT NULL CHECK (buffer_minutes BETWEEN 0 AND 120),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    out_of_order_since   TEXT,                  -- UTC; NULL when in order
    out_of_order_reason  TEXT
) STRICT;

INSERT INTO resources (kind, name, slot_minutes, buffer_minutes) VALUES
    ('shower', 'Shower 1', 20, 10), ('shower', 'Shower 2', 20, 10), ('shower', 'Shower 3', 20, 10),
    ('shower', 'Shower 4', 20, 10), ('shower', 'Shower 5', 20, 10), ('shower', 'Shower 6', 20, 10),
    ('computer', 'Computer 1', 30, 0), ('computer', 'Computer 2', 30, 0),
    ('computer', 'Computer 3', 30, 0), ('computer', 'Computer 4', 30, 0),
    ('phone', 'Phone 1', 30, 0), ('phone', 'Phone 2', 30, 0);

-- Local wall-clock hours per kind and ISO weekday (1 Monday .. 7 Sunday); no row: closed.
CREATE TABLE opening_hours (
    kind     TEXT NOT NULL REFERENCES resource_kinds (kind),
    weekday  INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens    TEXT NOT NULL CHECK (opens GLOB '[0-2][0-9]:[0-5][0-9]'),
    closes   TEXT NOT NULL CHECK (closes GLOB '[0-2][0-9]:[0-5][0-9]' AND closes > opens),
    PRIMARY KEY (kind, weekday)
) STRICT;

INSERT INTO opening_hours (kind, weekday, opens, closes)
SELECT kind, weekday, '08:00', '16:00'
FROM resource_kinds, (SELECT 1 AS weekday UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL
                      SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7);

CREATE TABLE bookings (
    id             INTEGER PRIMARY KEY,
    resource_id    INTEGER NOT NULL REFERENCES resources (id),
    guest_id       INTEGER NOT NULL REFERENCES guests (id),
    service_date   TEXT NOT NULL,
    starts_at      TEXT NOT NULL,      -- UTC RFC 3339
    ends_at        TEXT NOT NULL,
    -- Until when the resource is taken: the end plus the cleaning buffer (or the actual
    -- finish plus the buffer once finished). Overlap checks use [starts_at, blocked_until).
    blocked_until  TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('booked', 'in_use', 'done', 'cancelled', 'no_show')),
    created_at     TEXT NOT NULL,
    created_by     INTEGER NOT NULL REFERENCES staff (id),
    changed_at     TEXT NOT NULL,
    changed_by     INTEGER REFERENCES staff (id),   -- NULL when the system changed it (no-show)
    started_at     TEXT,
    finished_at    TEXT,
    CHECK (ends_at > starts_at)
) STRICT;

CREATE INDEX bookings_resource_time ON bookings (resource_id, starts_at);
CREATE INDEX bookings_guest_day ON bookings (guest_id, service_date);
CREATE INDEX bookings_day ON bookings (service_date, state);

-- Every state change of a booking: when, by whom (NULL: the system), from and to.
CREATE TABLE booking_events (
    id          INTEGER PRIMARY KEY,
    booking_id  INTEGER NOT NULL REFERENCES bookings (id),
    at          TEXT NOT NULL,
    by_staff    INTEGER REFERENCES staff (id),
    from_state  TEXT,
    to_state    TEXT NOT NULL
) STRICT;

INSERT INTO settings (key, value, updated_at)
VALUES ('no_show_grace_minutes', '10', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

-- Guests waiting for a kind when nothing is free today, in arrival order. Who is offered
-- the next free slot is worked out from this list whenever the board is read.
CREATE TABLE waitlist (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL REFERENCES resource_kinds (kind),
    guest_id      INTEGER NOT NULL REFERENCES guests (id),
    service_date  TEXT NOT NULL,
    joined_at     TEXT NOT NULL,
    joined_by     INTEGER NOT NULL REFERENCES staff (id),
    state         TEXT NOT NULL CHECK (state IN ('waiting', 'booked', 'removed')),
    booking_id    INTEGER REFERENCES bookings (id),
    changed_at    TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX waitlist_one_per_guest ON waitlist (kind, guest_id, service_date)
    WHERE state = 'waiting';
CREATE INDEX waitlist_day ON waitlist (kind, service_date, state, joined_at);

-- Times a kind (or one resource) cannot be booked: staff absent, maintenance.
CREATE TABLE blocked_periods (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL REFERENCES resource_kinds (kind),
    resource_id  INTEGER REFERENCES resources (id),   -- NULL: every resource of the kind
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES staff (id),
    CHECK (ends_at > starts_at)
) STRICT;

CREATE INDEX blocked_periods_kind ON blocked_periods (kind, starts_at);
