-- The reader (web app, API, feeds): a story's rank by breadth and growth, its facets as rows so
-- the front page filters and pages by keyset in one index walk, and API tokens.
-- score is NULL until the store indexes the story (save_story, or index_stories() for stories
-- saved before this migration).
ALTER TABLE stories ADD COLUMN score REAL;
CREATE INDEX stories_score ON stories(score DESC, id DESC);

CREATE TABLE story_tags (
    story_id  INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,   -- 'lang' | 'country' | 'source' | 'name'
    value     TEXT NOT NULL,
    PRIMARY KEY (kind, value, story_id)
);
CREATE INDEX story_tags_story_id ON story_tags(story_id);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    last_used   TEXT
);
