-- newsloom schema 1 (SQLite).
-- Dates are ISO-8601 UTC text with microseconds ("2024-05-01T12:00:00.000000+00:00"), so text
-- order is time order. List/dict fields are JSON text; booleans are 0/1; raw bodies are zlib.
-- Takedowns (requests, audit log) and the suppression list (url / domain / content hash) will
-- arrive as later migrations; articles.status ('ok' | 'removed') is where a tombstone shows.

CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL UNIQUE,
    country     TEXT,
    language    TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    source_id       INTEGER REFERENCES sources(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL DEFAULT 'feed',
    title           TEXT,
    etag            TEXT,
    last_modified   TEXT,
    interval_s      INTEGER NOT NULL DEFAULT 900,
    next_due        TEXT,
    error_count     INTEGER NOT NULL DEFAULT 0,
    last_status     TEXT,
    last_error      TEXT,
    last_fetched    TEXT,
    last_new_items  INTEGER NOT NULL DEFAULT 0,
    active          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX feeds_source_id ON feeds(source_id);
CREATE INDEX feeds_due ON feeds(active, next_due);

CREATE TABLE fetch_log (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    url          TEXT NOT NULL,
    status       TEXT NOT NULL,
    http_status  INTEGER,
    bytes        INTEGER NOT NULL DEFAULT 0,
    elapsed_ms   REAL NOT NULL DEFAULT 0,
    error        TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX fetch_log_feed_id ON fetch_log(feed_id, id);

CREATE TABLE raw_documents (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL,
    final_url     TEXT,
    content_type  TEXT,
    encoding      TEXT,
    http_status   INTEGER,
    headers       TEXT NOT NULL DEFAULT '{}',
    fetched_at    TEXT NOT NULL,
    body          BLOB NOT NULL,
    feed_item     TEXT,
    source_id     INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    feed_id       INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    origin        TEXT NOT NULL DEFAULT 'fetch'
);
CREATE INDEX raw_documents_url ON raw_documents(url);

CREATE TABLE stories (
    id                INTEGER PRIMARY KEY,
    headlines         TEXT NOT NULL DEFAULT '{}',
    languages         TEXT NOT NULL DEFAULT '[]',
    countries         TEXT NOT NULL DEFAULT '[]',
    sources           TEXT NOT NULL DEFAULT '[]',
    first_seen        TEXT,
    last_updated      TEXT,
    article_count     INTEGER NOT NULL DEFAULT 0,
    first_article_id  INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    centroid          BLOB,
    timeline          TEXT NOT NULL DEFAULT '[]',
    entities          TEXT NOT NULL DEFAULT '[]',
    quotes            TEXT NOT NULL DEFAULT '[]',
    merged_into       INTEGER REFERENCES stories(id) ON DELETE SET NULL
);
CREATE INDEX stories_last_updated ON stories(last_updated);
CREATE INDEX stories_merged_into ON stories(merged_into);

CREATE TABLE articles (
    id               INTEGER PRIMARY KEY,
    url              TEXT NOT NULL UNIQUE,
    title            TEXT,
    text             TEXT NOT NULL DEFAULT '',
    canonical_url    TEXT,
    source_id        INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    source           TEXT,
    feed_id          INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    lang             TEXT,
    lang_confidence  REAL,
    paragraph_langs  TEXT NOT NULL DEFAULT '[]',
    published        TEXT,
    updated          TEXT,
    authors          TEXT NOT NULL DEFAULT '[]',
    site_name        TEXT,
    description      TEXT,
    images           TEXT NOT NULL DEFAULT '[]',
    embeds           TEXT NOT NULL DEFAULT '[]',
    is_copy          INTEGER NOT NULL DEFAULT 0,
    primary_url      TEXT,
    duplicate_of     INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    content_hash     TEXT,
    minhash          BLOB,
    raw_text         TEXT,
    raw_id           INTEGER REFERENCES raw_documents(id) ON DELETE SET NULL,
    cleanup_log      TEXT NOT NULL DEFAULT '[]',
    doc_id           TEXT,
    story_id         INTEGER REFERENCES stories(id) ON DELETE SET NULL,
    lineage          TEXT,
    lineage_of       INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    entities         TEXT NOT NULL DEFAULT '[]',
    quotes           TEXT NOT NULL DEFAULT '[]',
    country          TEXT,
    status           TEXT NOT NULL DEFAULT 'ok',
    fetched_at       TEXT NOT NULL
);
CREATE INDEX articles_canonical_url ON articles(canonical_url);
CREATE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_source_id ON articles(source_id);
CREATE INDEX articles_story_id ON articles(story_id);
CREATE INDEX articles_duplicate_of ON articles(duplicate_of);
CREATE INDEX articles_lineage_of ON articles(lineage_of);
CREATE INDEX articles_lang ON articles(lang);
CREATE INDEX articles_status ON articles(status);

-- Full-text index over title + text, an external-content FTS5 table kept in sync by triggers.
-- remove_diacritics 2 lets "sao paulo" find "São Paulo"; PostgreSQL folds the same way.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text,
    content='articles', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text)
        VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;

CREATE TABLE revisions (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    title         TEXT,
    text          TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    seen_at       TEXT NOT NULL
);
CREATE INDEX revisions_article_id ON revisions(article_id, seen_at);

CREATE TABLE embeddings (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    vector      BLOB NOT NULL,
    PRIMARY KEY (article_id, model)
);
CREATE INDEX embeddings_model ON embeddings(model, article_id);

CREATE TABLE state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
