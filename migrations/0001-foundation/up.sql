-- Schema 1: the foundation. Facts about this database and the center-wide settings.

-- One row describing when and by which version this database was created.
CREATE TABLE app_meta (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    created_at          TEXT NOT NULL,              -- UTC, RFC 3339
    created_by_version  TEXT NOT NULL
) STRICT;

-- Center-wide settings as typed key/value pairs; each later capability adds its keys.
CREATE TABLE settings (
    key         TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 64),
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

INSERT INTO settings (key, value, updated_at)
VALUES ('center_time_zone', 'America/New_York', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
