-- Scale mode (issue 12): the per-host request rate shared by every worker, so that ten workers
-- ask a host no more often than one. `next_at` (seconds since the epoch, on the database's
-- clock that workers align to) is the host's next free slot; a fetcher books the slot at or after
-- it in one statement (store: book_host_slot) and moves it one interval on. PostgreSQL uses it;
-- SQLite has the table for one schema, and `run` keeps its rate in memory (one process).
CREATE TABLE host_slots (
    host    TEXT PRIMARY KEY,
    next_at DOUBLE PRECISION NOT NULL
);
