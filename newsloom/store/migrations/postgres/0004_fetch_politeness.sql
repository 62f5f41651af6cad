-- Per-host politeness every process obeys, kept across runs: no request to `host` before
-- `hold_until` (a 429/503 Retry-After), so the next `newsloom fetch` does not ask again too soon.
CREATE TABLE host_holds (
    host       TEXT PRIMARY KEY,
    hold_until TIMESTAMPTZ NOT NULL,
    reason     TEXT,
    at         TIMESTAMPTZ NOT NULL
);

-- Pages processing rejected (binary, all boilerplate, too short), with the validators they came
-- with: asked again only now and then, conditionally, and processed again only when they changed.
CREATE TABLE rejected_pages (
    url            TEXT PRIMARY KEY,
    reason         TEXT NOT NULL,
    etag           TEXT,
    last_modified  TEXT,
    content_hash   TEXT,
    checked_at     TIMESTAMPTZ NOT NULL
);
