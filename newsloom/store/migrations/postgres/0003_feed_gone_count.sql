-- Consecutive polls a feed answered 404/410: the scheduler switches the feed off past a limit.
ALTER TABLE feeds ADD COLUMN gone_count INTEGER NOT NULL DEFAULT 0;
