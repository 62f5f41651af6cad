-- Why a later stage did something unusual with an article (e.g. the story clusterer clamped a
-- future date or gave a one-word article its own story).
ALTER TABLE articles ADD COLUMN notes JSONB NOT NULL DEFAULT '[]';
