-- Shlink's dynamic redirect rules: per link, in priority order (1 first), each a long URL and
-- its conditions as Shlink's JSON ([{"type", "matchKey", "matchValue"}, ...]).
CREATE TABLE redirect_rules (
    link_id    BIGINT NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    priority   INTEGER NOT NULL,
    long_url   TEXT NOT NULL,
    conditions TEXT NOT NULL,
    PRIMARY KEY (link_id, priority)
);
