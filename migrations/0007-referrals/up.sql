-- Schema 7: referrals to partners, with notes, consent for outside disclosure and
-- follow-ups. Substance-use-treatment and clinical referrals are sensitive (42 CFR Part 2):
-- only nurses and supervisors see them, and every read is audited.

CREATE TABLE referral_categories (
    category    TEXT PRIMARY KEY CHECK (length(category) BETWEEN 1 AND 40),
    label       TEXT NOT NULL,
    -- The group the daily counts report (sensitive groups only ever as counts).
    grouping    TEXT NOT NULL,
    sensitive   INTEGER NOT NULL CHECK (sensitive IN (0, 1)),
    sort_order  INTEGER NOT NULL
) STRICT;

INSERT INTO referral_categories (category, label, grouping, sensitive, sort_order) VALUES
    ('sud_detox', 'Substance-use treatment: detox', 'substance_use_treatment', 1, 1),
    ('sud_outpatient', 'Substance-use treatment: outpatient', 'substance_use_treatment', 1, 2),
    ('sud_moud', 'Medication for opioid use disorder', 'substance_use_treatment', 1, 3),
    ('sud_residential', 'Substance-use treatment: residential', 'substance_use_treatment', 1, 4),
    ('recovery_coach', 'Recovery coach', 'substance_use_treatment', 1, 5),
    ('mental_health', 'Mental health', 'clinical', 1, 6),
    ('medical', 'Medical', 'clinical', 1, 7),
    ('testing', 'HIV, HCV and STI testing', 'clinical', 1, 8),
    ('housing_advocate', 'Housing advocate', 'housing', 0, 9),
    ('shelter', 'Shelter', 'housing', 0, 10),
    ('id_documents', 'ID and documents', 'documents_and_benefits', 0, 11),
    ('benefits', 'Benefits', 'documents_and_benefits', 0, 12),
    ('other', 'Other', 'other', 0, 13);

-- Partner organizations supervisors maintain; on-site partners come on some weekdays.
CREATE TABLE partners (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 80),
    on_site       INTEGER NOT NULL CHECK (on_site IN (0, 1)),
    -- ISO weekdays (1 Monday .. 7 Sunday) an on-site partner is here, e.g. '135'.
    on_site_days  TEXT NOT NULL DEFAULT '' CHECK (on_site_days NOT GLOB '*[^1-7]*'),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE referrals (
    id              INTEGER PRIMARY KEY,
    guest_id        INTEGER NOT NULL REFERENCES guests (id),
    category        TEXT NOT NULL REFERENCES referral_categories (category),
    partner_id      INTEGER NOT NULL REFERENCES partners (id),
    service_date    TEXT NOT NULL,               -- center-local date it was made
    status          TEXT NOT NULL CHECK (status IN
                        ('made', 'sent', 'accepted', 'completed', 'declined', 'no_show', 'cancelled')),
    follow_up_date  TEXT,                        -- center-local date
    consent_id      INTEGER REFERENCES consents (id),   -- the consent it was sent under
    made_at         TEXT NOT NULL,
    made_by         INTEGER NOT NULL REFERENCES staff (id),
    changed_at      TEXT NOT NULL,
    changed_by      INTEGER NOT NULL REFERENCES staff (id),
    CHECK (follow_up_date IS NULL OR follow_up_date >= service_date)
) STRICT;

CREATE INDEX referrals_guest ON referrals (guest_id, id);
CREATE INDEX referrals_follow_up ON referrals (follow_up_date, status);
CREATE INDEX referrals_day ON referrals (service_date);

CREATE TABLE referral_events (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals (id),
    at           TEXT NOT NULL,
    by_staff     INTEGER NOT NULL REFERENCES staff (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL
) STRICT;

CREATE TABLE referral_notes (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals (id),
    written_at   TEXT NOT NULL,
    written_by   INTEGER NOT NULL REFERENCES staff (id),
    body         TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    corrects     INTEGER REFERENCES referral_notes (id)
) STRICT;

CREATE INDEX referral_notes_referral ON referral_notes (referral_id, id);

CREATE TRIGGER referral_notes_no_update BEFORE UPDATE ON referral_notes
BEGIN
    SELECT RAISE(ABORT, 'referral notes are append-only; write a correction');
END;

CREATE TRIGGER referral_notes_no_delete BEFORE DELETE ON referral_notes
BEGIN
    SELECT RAISE(ABORT, 'referral notes are append-only; write a correction');
END;

-- A guest's consent to disclose information to a partner outside the center.
CREATE TABLE consents (
    id           INTEGER PRIMARY KEY,
    guest_id     INTEGER NOT NULL REFERENCES guests (id),
    partner_id   INTEGER NOT NULL REFERENCES partners (id),
    information  TEXT NOT NULL CHECK (length(information) BETWEEN 1 AND 500),
    purpose      TEXT NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
    agreed_on    TEXT NOT NULL,                  -- center-local date
    expires_on   TEXT,                           -- NULL: until revoked
    recorded_at  TEXT NOT NULL,
    recorded_by  INTEGER NOT NULL REFERENCES staff (id),
    revoked_at   TEXT,
    revoked_by   INTEGER REFERENCES staff (id),
    CHECK (expires_on IS NULL OR expires_on >= agreed_on)
) STRICT;

CREATE INDEX consents_guest_partner ON consents (guest_id, partner_id);
