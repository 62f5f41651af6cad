-- Scale mode (issue 12). The near-duplicate index shared by every worker: the LSH band keys of
-- each article's MinHash signature (dedupe/neardup.py, NearDupIndex.band_keys), so a process
-- finds near-duplicates stored by any other; two articles sharing a key are candidates. On
-- SQLite the in-memory index stays the default (near_duplicate_index = "auto"); this table is
-- used with near_duplicate_index = "store" (writers are serialised by BEGIN IMMEDIATE).
CREATE TABLE neardup_keys (
    key        INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
CREATE INDEX neardup_keys_article ON neardup_keys(article_id);
-- `newsloom ingest --queue` (PostgreSQL): the jobs of one archive form a batch (progress: done
-- of total), and a record's job key is looked up in every state (a re-run enqueues nothing twice).
ALTER TABLE jobs ADD COLUMN batch TEXT;
CREATE INDEX jobs_batch ON jobs(batch, state) WHERE batch IS NOT NULL;
CREATE INDEX jobs_dedupe_key ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL;
