-- Lean click rows (issue 10): the texts a click repeats from others (user agent, referrer,
-- URLs, browser, OS, device, place names, referrer domain) are stored once in click_texts and
-- referred to by id, so a click row is about a third of its former size and the drain writes
-- fewer pages. The `clicks` view joins them back with the columns, names and order of the
-- former table, so every read is unchanged; writes go to click_rows. Dictionary rows are never
-- deleted (their ids are cached by every process), so the ids carry no foreign key.
CREATE TABLE click_texts (
    id    INTEGER PRIMARY KEY,
    value TEXT    NOT NULL UNIQUE
);

INSERT INTO click_texts (value)
SELECT user_agent FROM clicks WHERE user_agent IS NOT NULL
UNION
SELECT referer FROM clicks WHERE referer IS NOT NULL
UNION
SELECT visited_url FROM clicks WHERE visited_url IS NOT NULL
UNION
SELECT redirect_url FROM clicks WHERE redirect_url IS NOT NULL
UNION
SELECT browser FROM clicks WHERE browser IS NOT NULL
UNION
SELECT browser_version FROM clicks WHERE browser_version IS NOT NULL
UNION
SELECT os FROM clicks WHERE os IS NOT NULL
UNION
SELECT device FROM clicks WHERE device IS NOT NULL
UNION
SELECT country_name FROM clicks WHERE country_name IS NOT NULL
UNION
SELECT region_name FROM clicks WHERE region_name IS NOT NULL
UNION
SELECT city_name FROM clicks WHERE city_name IS NOT NULL
UNION
SELECT timezone FROM clicks WHERE timezone IS NOT NULL
UNION
SELECT referrer_domain FROM clicks WHERE referrer_domain IS NOT NULL;

CREATE TABLE click_rows (
    id                 INTEGER PRIMARY KEY,
    message_id         BLOB    NOT NULL UNIQUE,
    short_url_id       INTEGER REFERENCES short_urls (id) ON DELETE CASCADE,
    kind               TEXT    NOT NULL,
    occurred_at        INTEGER NOT NULL,
    enriched_at        INTEGER NOT NULL,
    ip                 TEXT,
    potential_bot      INTEGER NOT NULL,
    country_code       TEXT,
    latitude           REAL,
    longitude          REAL,
    traceparent        TEXT,
    visitor_hash       TEXT,
    user_agent_id      INTEGER,
    referer_id         INTEGER,
    visited_url_id     INTEGER,
    redirect_url_id    INTEGER,
    browser_id         INTEGER,
    browser_version_id INTEGER,
    os_id              INTEGER,
    device_id          INTEGER,
    country_name_id    INTEGER,
    region_name_id     INTEGER,
    city_name_id       INTEGER,
    timezone_id        INTEGER,
    referrer_domain_id INTEGER
);

INSERT INTO click_rows (id, message_id, short_url_id, kind, occurred_at, enriched_at, ip,
    potential_bot, country_code, latitude, longitude, traceparent, visitor_hash, user_agent_id,
    referer_id, visited_url_id, redirect_url_id, browser_id, browser_version_id, os_id,
    device_id, country_name_id, region_name_id, city_name_id, timezone_id, referrer_domain_id)
SELECT c.id, c.message_id, c.short_url_id, c.kind, c.occurred_at, c.enriched_at, c.ip,
    c.potential_bot, c.country_code, c.latitude, c.longitude, c.traceparent, c.visitor_hash,
    (SELECT t.id FROM click_texts t WHERE t.value = c.user_agent),
    (SELECT t.id FROM click_texts t WHERE t.value = c.referer),
    (SELECT t.id FROM click_texts t WHERE t.value = c.visited_url),
    (SELECT t.id FROM click_texts t WHERE t.value = c.redirect_url),
    (SELECT t.id FROM click_texts t WHERE t.value = c.browser),
    (SELECT t.id FROM click_texts t WHERE t.value = c.browser_version),
    (SELECT t.id FROM click_texts t WHERE t.value = c.os),
    (SELECT t.id FROM click_texts t WHERE t.value = c.device),
    (SELECT t.id FROM click_texts t WHERE t.value = c.country_name),
    (SELECT t.id FROM click_texts t WHERE t.value = c.region_name),
    (SELECT t.id FROM click_texts t WHERE t.value = c.city_name),
    (SELECT t.id FROM click_texts t WHERE t.value = c.timezone),
    (SELECT t.id FROM click_texts t WHERE t.value = c.referrer_domain)
FROM clicks c;

DROP TABLE clicks;
CREATE INDEX click_rows_link_time ON click_rows (short_url_id, occurred_at);
CREATE INDEX click_rows_kind_time ON click_rows (kind, occurred_at);

CREATE VIEW clicks AS
SELECT r.id,
       r.message_id,
       r.short_url_id,
       r.kind,
       r.occurred_at,
       r.enriched_at,
       r.ip,
       ua.value AS user_agent,
       ref.value AS referer,
       vis.value AS visited_url,
       red.value AS redirect_url,
       r.potential_bot,
       br.value AS browser,
       bv.value AS browser_version,
       os.value AS os,
       dev.value AS device,
       r.country_code,
       cn.value AS country_name,
       rn.value AS region_name,
       ci.value AS city_name,
       r.latitude,
       r.longitude,
       tz.value AS timezone,
       r.traceparent,
       r.visitor_hash,
       rd.value AS referrer_domain
FROM click_rows r
LEFT JOIN click_texts ua ON ua.id = r.user_agent_id
LEFT JOIN click_texts ref ON ref.id = r.referer_id
LEFT JOIN click_texts vis ON vis.id = r.visited_url_id
LEFT JOIN click_texts red ON red.id = r.redirect_url_id
LEFT JOIN click_texts br ON br.id = r.browser_id
LEFT JOIN click_texts bv ON bv.id = r.browser_version_id
LEFT JOIN click_texts os ON os.id = r.os_id
LEFT JOIN click_texts dev ON dev.id = r.device_id
LEFT JOIN click_texts cn ON cn.id = r.country_name_id
LEFT JOIN click_texts rn ON rn.id = r.region_name_id
LEFT JOIN click_texts ci ON ci.id = r.city_name_id
LEFT JOIN click_texts tz ON tz.id = r.timezone_id
LEFT JOIN click_texts rd ON rd.id = r.referrer_domain_id;
