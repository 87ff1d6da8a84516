-- Schema 6: the nurse-station queue. Guests wait under a number for the day (N-014) that
-- staff call out instead of a name; urgent before routine, then arrival order.

-- Why a guest waits. Supervisors add reasons, relabel them or take them off the list.
CREATE TABLE queue_reasons (
    reason      TEXT PRIMARY KEY CHECK (length(reason) BETWEEN 1 AND 40),
    label       TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
    sort_order  INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

INSERT INTO queue_reasons (reason, label, sort_order) VALUES
    ('wound_care', 'Wound care', 1),
    ('medication', 'Medication', 2),
    ('testing', 'Testing (HIV, HCV, STI)', 3),
    ('overdose_follow_up', 'Overdose follow-up', 4),
    ('general_health', 'General health', 5),
    ('other', 'Other', 6);

CREATE TABLE nurse_stations (
    id      INTEGER PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 40),
    active  INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

INSERT INTO nurse_stations (name) VALUES ('Station 1'), ('Station 2');

CREATE TABLE queue_entries (
    id            INTEGER PRIMARY KEY,
    service_date  TEXT NOT NULL,                 -- center-local date
    number        INTEGER NOT NULL CHECK (number >= 1),
    guest_id      INTEGER NOT NULL REFERENCES guests (id),
    reason        TEXT NOT NULL REFERENCES queue_reasons (reason),
    priority      TEXT NOT NULL CHECK (priority IN ('urgent', 'routine')),
    note          TEXT CHECK (note IS NULL OR length(note) <= 200),   -- non-clinical
    state         TEXT NOT NULL CHECK (state IN
                      ('waiting', 'called', 'in_service', 'done', 'left', 'cancelled')),
    station_id    INTEGER REFERENCES nurse_stations (id),
    joined_at     TEXT NOT NULL,                 -- UTC RFC 3339
    joined_by     INTEGER NOT NULL REFERENCES staff (id),
    called_at     TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    changed_at    TEXT NOT NULL,
    UNIQUE (service_date, number)
) STRICT;

-- A guest is in the queue once at a time.
CREATE UNIQUE INDEX queue_one_active_per_guest ON queue_entries (guest_id)
    WHERE state IN ('waiting', 'called', 'in_service');
CREATE INDEX queue_day ON queue_entries (service_date, state, priority, joined_at);

-- Every transition: when (server clock), by whom (NULL: the system), from and to. An undo
-- is a transition of its own that names the one it reverses.
CREATE TABLE queue_events (
    id          INTEGER PRIMARY KEY,
    entry_id    INTEGER NOT NULL REFERENCES queue_entries (id),
    at          TEXT NOT NULL,
    by_staff    INTEGER REFERENCES staff (id),
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    station_id  INTEGER REFERENCES nurse_stations (id),
    undoes      INTEGER REFERENCES queue_events (id)
) STRICT;

CREATE INDEX queue_events_entry ON queue_events (entry_id, id);

-- Clinical notes on an encounter: append-only; a correction is a new note naming the old.
CREATE TABLE clinical_notes (
    id          INTEGER PRIMARY KEY,
    entry_id    INTEGER NOT NULL REFERENCES queue_entries (id),   -- and so the guest
    written_at  TEXT NOT NULL,
    written_by  INTEGER NOT NULL REFERENCES staff (id),
    body        TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    corrects    INTEGER REFERENCES clinical_notes (id)
) STRICT;

CREATE INDEX clinical_notes_entry ON clinical_notes (entry_id, id);

CREATE TRIGGER clinical_notes_no_update BEFORE UPDATE ON clinical_notes
BEGIN
    SELECT RAISE(ABORT, 'clinical notes are append-only; write a correction');
END;

CREATE TRIGGER clinical_notes_no_delete BEFORE DELETE ON clinical_notes
BEGIN
    SELECT RAISE(ABORT, 'clinical notes are append-only; write a correction');
END;

-- On-site overdoses and medical incidents, counted in the daily figures.
CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    service_date    TEXT NOT NULL,
    occurred_at     TEXT NOT NULL,               -- UTC
    kind            TEXT NOT NULL CHECK (kind IN ('overdose', 'medical')),
    naloxone_doses  INTEGER NOT NULL CHECK (naloxone_doses BETWEEN 0 AND 20),
    ems_called      INTEGER NOT NULL CHECK (ems_called IN (0, 1)),
    outcome         TEXT NOT NULL CHECK (outcome IN ('recovered_on_site', 'transported',
                        'refused_transport', 'left_before_ems', 'deceased', 'other')),
    guest_id        INTEGER REFERENCES guests (id),
    note            TEXT CHECK (note IS NULL OR length(note) <= 500),
    recorded_at     TEXT NOT NULL,
    recorded_by     INTEGER NOT NULL REFERENCES staff (id)
) STRICT;

CREATE INDEX incidents_day ON incidents (service_date);
