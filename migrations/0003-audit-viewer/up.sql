-- Schema 3: indexes for the audit log viewer's filters by actor and action (each also
-- serves the skip scan that lists the distinct values for the filter menus).

CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
