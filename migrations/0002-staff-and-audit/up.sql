-- Schema 2: staff accounts with roles, and the tamper-evident audit log.

CREATE TABLE staff (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name          TEXT NOT NULL,
    password_hash         TEXT NOT NULL,          -- full Argon2id PHC string
    must_change_password  INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    disabled              INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failed_logins         INTEGER NOT NULL DEFAULT 0,
    locked_until          TEXT,                   -- UTC RFC 3339, NULL when not locked
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;

CREATE TABLE staff_roles (
    staff_id  INTEGER NOT NULL REFERENCES staff (id),
    role      TEXT NOT NULL CHECK (role IN ('front_desk', 'nurse', 'supervisor', 'admin')),
    PRIMARY KEY (staff_id, role)
) STRICT;

-- Append-only; each entry carries the hash of the one before it (a hash chain), so an
-- edited or deleted row is found by `engagement-desk audit verify`.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,      -- UTC RFC 3339
    actor      TEXT NOT NULL,      -- staff:<username>, os:<user>, or anonymous
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_refuses_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_refuses_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

INSERT INTO settings (key, value, updated_at)
VALUES ('idle_lock_minutes', '10', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
