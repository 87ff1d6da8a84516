-- Schema 4: anonymous guests, visits (check-in and check-out), anonymous tallies and the
-- building capacity. Guests have no field for a legal name, on purpose.

CREATE TABLE guests (
    id                  INTEGER PRIMARY KEY,
    code                TEXT NOT NULL UNIQUE,     -- 6 characters, the last a check character
    nickname            TEXT,                     -- optional, as typed (trimmed)
    nickname_key        TEXT,                     -- lower-case nickname, for prefix search
    birth_year          INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100),
    birth_year_answer   INTEGER NOT NULL DEFAULT 99, -- HMIS data quality: 1 given, 8, 9, 99
    gender              INTEGER NOT NULL DEFAULT 99, -- HMIS answer codes, 8/9/99 as usual
    veteran_status      INTEGER NOT NULL DEFAULT 99, -- 0 no, 1 yes, 8, 9, 99
    preferred_language  TEXT,
    first_seen_date     TEXT NOT NULL,            -- center-local YYYY-MM-DD
    created_at          TEXT NOT NULL,            -- UTC RFC 3339
    created_by          INTEGER NOT NULL REFERENCES staff (id),
    merged_into         INTEGER REFERENCES guests (id)
) STRICT;

CREATE INDEX guests_nickname_key ON guests (nickname_key) WHERE nickname_key IS NOT NULL;

CREATE TABLE visits (
    id               INTEGER PRIMARY KEY,
    guest_id         INTEGER NOT NULL REFERENCES guests (id),
    service_date     TEXT NOT NULL,               -- center-local YYYY-MM-DD of the check-in
    checked_in_at    TEXT NOT NULL,               -- UTC RFC 3339
    checked_in_by    INTEGER NOT NULL REFERENCES staff (id),
    checked_out_at   TEXT,
    checked_out_by   INTEGER REFERENCES staff (id),
    over_capacity_by INTEGER REFERENCES staff (id), -- the supervisor who let them in when full
    -- An undone check-in stays as a correction: it is marked void, never deleted.
    voided_at        TEXT,
    voided_by        INTEGER REFERENCES staff (id),
    void_reason      TEXT,
    -- 1 when recorded after its day was closed out: a correction, counted apart.
    after_close      INTEGER NOT NULL DEFAULT 0 CHECK (after_close IN (0, 1))
) STRICT;

-- A guest can be inside only once at a time.
CREATE UNIQUE INDEX visits_one_open_per_guest ON visits (guest_id)
    WHERE checked_out_at IS NULL AND voided_at IS NULL;
CREATE INDEX visits_open ON visits (checked_in_at)
    WHERE checked_out_at IS NULL AND voided_at IS NULL;
CREATE INDEX visits_service_date ON visits (service_date);
CREATE INDEX visits_guest ON visits (guest_id, checked_in_at);

-- People who decline a code are still counted, linked to no record.
CREATE TABLE anonymous_tallies (
    id            INTEGER PRIMARY KEY,
    service_date  TEXT NOT NULL,
    counted_at    TEXT NOT NULL,
    counted_by    INTEGER NOT NULL REFERENCES staff (id),
    after_close   INTEGER NOT NULL DEFAULT 0 CHECK (after_close IN (0, 1))
) STRICT;

CREATE INDEX anonymous_tallies_service_date ON anonymous_tallies (service_date);

INSERT INTO settings (key, value, updated_at)
VALUES ('building_capacity', '60', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));

-- Alerts (information for staff) and restrictions (from the building or one service),
-- recorded by supervisors. Active from starts_on to ends_on (local dates, inclusive; no
-- end date means until lifted); lifting keeps the row.
CREATE TABLE guest_flags (
    id          INTEGER PRIMARY KEY,
    guest_id    INTEGER NOT NULL REFERENCES guests (id),
    kind        TEXT NOT NULL CHECK (kind IN ('alert', 'restriction')),
    scope       TEXT CHECK (scope IN ('building', 'showers', 'workstations')),
    reason      TEXT NOT NULL,
    starts_on   TEXT NOT NULL,
    ends_on     TEXT,
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES staff (id),
    lifted_at   TEXT,
    lifted_by   INTEGER REFERENCES staff (id),
    CHECK ((kind = 'alert') = (scope IS NULL)),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
) STRICT;

CREATE INDEX guest_flags_guest ON guest_flags (guest_id) WHERE lifted_at IS NULL;

-- End-of-day close-out: the day's counts as they stood, frozen. Later changes to the day
-- are flagged after_close on their rows and shown as corrections.
CREATE TABLE day_closures (
    service_date          TEXT PRIMARY KEY,
    closed_at             TEXT NOT NULL,
    closed_by             INTEGER NOT NULL REFERENCES staff (id),
    visits                INTEGER NOT NULL,
    guests                INTEGER NOT NULL,
    new_guests            INTEGER NOT NULL,
    tallies               INTEGER NOT NULL,
    checked_out_at_close  INTEGER NOT NULL
) STRICT;
