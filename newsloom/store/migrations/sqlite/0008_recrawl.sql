-- Recrawl of stored articles (issue 11): each fetched article is fetched again about 1 h, 24 h
-- and 7 days after it was first fetched. recrawl_count = steps done (3 = finished);
-- recrawl_at = when the next step is due (NULL before the first, which is due 1 h after
-- fetched_at). The index serves both "due" queries of rights/recrawl.py.
ALTER TABLE articles ADD COLUMN recrawl_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN recrawl_at TEXT;
CREATE INDEX articles_recrawl ON articles(recrawl_count, recrawl_at, fetched_at);
