-- The reader (web app, API, feeds): a story's rank by breadth and growth, its facets as rows so
-- the front page filters and pages by keyset in one index walk, and API tokens.
-- score is NULL until the store indexes the story (save_story, or index_stories() for stories
-- saved before this migration).
ALTER TABLE stories ADD COLUMN score DOUBLE PRECISION;
CREATE INDEX stories_score ON stories(score DESC, id DESC);

CREATE TABLE story_tags (
    story_id  BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (kind, value, story_id)
);
CREATE INDEX story_tags_story_id ON story_tags(story_id);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    last_used   TIMESTAMPTZ
);
