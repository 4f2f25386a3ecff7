-- Analytics rollups, maintained by the worker in the same transaction as the click insert so
-- redeliveries and replays never count twice. Hours and days are epoch milliseconds of the
-- start of the UTC hour / day.

-- Whether a link's analytics page (`/{code}+`) is public.
ALTER TABLE short_urls ADD COLUMN public_stats INTEGER NOT NULL DEFAULT 0;

-- Salted hash of (day, link, IP, user agent) for unique visitors; never the IP itself.
ALTER TABLE clicks ADD COLUMN visitor_hash TEXT;
-- Lowercase host of the Referer (NULL when none or unparsable, shown as "direct").
ALTER TABLE clicks ADD COLUMN referrer_domain TEXT;

-- Per link and hour: visits, bot visits, visitors first seen that UTC day in this hour.
CREATE TABLE link_hourly (
    short_url_id INTEGER NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    hour         INTEGER NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    bots         INTEGER NOT NULL DEFAULT 0,
    uniques      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (short_url_id, hour)
) WITHOUT ROWID;
-- Top links over an hour range, answered from the index alone.
CREATE INDEX link_hourly_hour ON link_hourly (hour, short_url_id, total, bots);

-- Per link, dimension (country, city, referrer, browser, os, device), hour and value.
CREATE TABLE link_hourly_dims (
    short_url_id INTEGER NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    dim          TEXT    NOT NULL,
    hour         INTEGER NOT NULL,
    value        TEXT    NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    bots         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (short_url_id, dim, hour, value)
) WITHOUT ROWID;

-- All links together per hour, for the dashboard.
CREATE TABLE hourly_totals (
    hour    INTEGER PRIMARY KEY,
    total   INTEGER NOT NULL DEFAULT 0,
    bots    INTEGER NOT NULL DEFAULT 0,
    uniques INTEGER NOT NULL DEFAULT 0
);

-- Visitors already counted per link and UTC day; days older than yesterday are pruned with
-- their salts (their hashes can no longer recur). No foreign key: every row is a fresh insert;
-- the trigger below and delete_link_visits remove a link's rows.
CREATE TABLE visitor_days (
    short_url_id INTEGER NOT NULL,
    day          INTEGER NOT NULL,
    visitor_hash TEXT    NOT NULL,
    PRIMARY KEY (short_url_id, day, visitor_hash)
) WITHOUT ROWID;
CREATE INDEX visitor_days_day ON visitor_days (day);

-- The random secret of each UTC day that visitor hashes are salted with.
CREATE TABLE visitor_salts (
    day  INTEGER PRIMARY KEY,
    salt TEXT    NOT NULL
);

-- Deleting a link cascades to its clicks and rollups; take its figures out of the all-links
-- totals too, so they keep matching the stored clicks, and drop its visitor rows.
CREATE TRIGGER short_urls_forget_rollups BEFORE DELETE ON short_urls
BEGIN
    UPDATE hourly_totals
    SET total = hourly_totals.total - l.total,
        bots = hourly_totals.bots - l.bots,
        uniques = hourly_totals.uniques - l.uniques
    FROM (SELECT hour, total, bots, uniques FROM link_hourly WHERE short_url_id = OLD.id) AS l
    WHERE hourly_totals.hour = l.hour;
    DELETE FROM visitor_days WHERE short_url_id = OLD.id;
END;
