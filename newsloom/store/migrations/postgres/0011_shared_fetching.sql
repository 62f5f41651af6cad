-- Scale mode (issue 12): what every worker fetching pages shares. The per-host request rate, so that ten workers
-- ask a host no more often than one. `next_at` (seconds since the epoch, on the database's
-- clock that workers align to) is the host's next free slot; a fetcher books the slot at or after
-- it in one statement (store: book_host_slot) and moves it one interval on. PostgreSQL uses it;
-- SQLite has the table for one schema, and `run` keeps its rate in memory (one process).
CREATE TABLE host_slots (
    host    TEXT PRIMARY KEY,
    next_at DOUBLE PRECISION NOT NULL
);

-- Each site's robots.txt as one worker read it (its HTTP status, and the text of a 2xx), until
-- it expires (a day; 10 minutes for a 429/5xx): every other worker obeys it without fetching it
-- again (fetch/robots.py: SharedRobots). What one machine could not reach is not shared.
CREATE TABLE robots_txt (
    origin     TEXT PRIMARY KEY,
    status     INTEGER NOT NULL,
    body       TEXT,
    expires_at TIMESTAMPTZ NOT NULL
);
