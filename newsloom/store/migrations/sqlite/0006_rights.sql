-- Publisher rights (issue 11): the signals read from each page, removal requests, their audit
-- trail, and the suppression list that keeps removed pages out for good.
-- articles.rights is JSON text ({} = no signal); TEXT on both backends so LIKE can find the few
-- articles carrying an unavailable_after date.
ALTER TABLE articles ADD COLUMN rights TEXT NOT NULL DEFAULT '{}';

CREATE TABLE takedown_requests (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,          -- 'url' | 'prefix' | 'domain'
    target       TEXT NOT NULL,
    domain       TEXT NOT NULL,
    requester    TEXT NOT NULL,
    contact      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    statement    INTEGER NOT NULL DEFAULT 0,
    token        TEXT NOT NULL,
    status       TEXT NOT NULL,          -- received | verified | executed | rejected | refused
    verified_by  TEXT,
    channel      TEXT NOT NULL DEFAULT 'cli',
    received_at  TEXT NOT NULL,
    deadline     TEXT,
    verified_at  TEXT,
    executed_at  TEXT,
    checked_at   TEXT,
    removed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX takedown_requests_status ON takedown_requests(status, deadline);
CREATE INDEX takedown_requests_target ON takedown_requests(kind, target);

CREATE TABLE takedown_audit (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER REFERENCES takedown_requests(id) ON DELETE SET NULL,
    step        TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX takedown_audit_request ON takedown_audit(request_id, id);

CREATE TABLE suppressions (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,           -- 'url' | 'prefix' | 'domain' | 'hash'
    value       TEXT NOT NULL,
    request_id  INTEGER REFERENCES takedown_requests(id) ON DELETE SET NULL,
    at          TEXT NOT NULL,
    UNIQUE (kind, value)
);
