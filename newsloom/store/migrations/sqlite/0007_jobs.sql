-- Job queue for scale mode (issue 12): `newsloom worker` processes claim jobs with
-- SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite has one writer: a plain UPDATE) and
-- hold them under a lease (lease_until); a lease that
-- expires (the worker was killed) makes the job claimable again. state: queued | running |
-- done | dead (dead-letter after max_tries). dedupe_key: at most one open job per key (e.g. one
-- fetch of a feed at a time).
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT,
    state TEXT NOT NULL DEFAULT 'queued',
    tries INTEGER NOT NULL DEFAULT 0,
    max_tries INTEGER NOT NULL DEFAULT 5,
    run_after TEXT NOT NULL,
    lease_until TEXT,
    worker TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- the claim query walks open jobs in id order; done ones (most, in time) are not in this index
CREATE INDEX jobs_open ON jobs (id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_state ON jobs (state, kind);
CREATE UNIQUE INDEX jobs_open_key ON jobs (dedupe_key) WHERE state IN ('queued', 'running');
