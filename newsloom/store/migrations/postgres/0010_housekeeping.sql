-- Housekeeping (issue 12: a daemon that runs for months on a small machine). Fetched pages, the
-- fetch log and finished jobs are deleted once older than their settings (keep_pages_days,
-- keep_fetch_log_days, keep_done_jobs_days; app/housekeeping.py): each an index range by age,
-- not a scan of the table. A back-fill's done jobs (batch set) are kept: their keys are how a
-- resumed `ingest --queue` knows what it did.
CREATE INDEX raw_documents_fetched_at ON raw_documents(fetched_at);
-- a page deleted sets its article's raw_id to NULL (ON DELETE SET NULL): found by this index, not
-- by a scan of every article for each page deleted
CREATE INDEX articles_raw_id ON articles(raw_id);
CREATE INDEX fetch_log_at ON fetch_log(at);
-- (state, updated_at), not updated_at alone: SQLite's planner takes this one over jobs_state
CREATE INDEX jobs_done_at ON jobs(state, updated_at) WHERE batch IS NULL;
