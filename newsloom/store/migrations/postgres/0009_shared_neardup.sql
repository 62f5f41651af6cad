-- Scale mode (issue 12). The near-duplicate index shared by every worker: the LSH band keys of
-- each article's MinHash signature (dedupe/neardup.py, NearDupIndex.band_keys), so a worker
-- finds near-duplicates stored by any other worker; two articles sharing a key are candidates.
-- Written in the article's own transaction, under transaction-scoped advisory locks on the
-- same keys (store/_neardup.py).
CREATE TABLE neardup_keys (
    key        BIGINT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (key, article_id)
);
CREATE INDEX neardup_keys_article ON neardup_keys(article_id);
-- `newsloom ingest --queue`: the jobs of one archive form a batch (progress: done of total),
-- and a record's job key is looked up in every state (a re-run enqueues nothing twice).
ALTER TABLE jobs ADD COLUMN batch TEXT;
CREATE INDEX jobs_batch ON jobs(batch, state) WHERE batch IS NOT NULL;
CREATE INDEX jobs_dedupe_key ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL;
