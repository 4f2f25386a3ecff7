-- Analytics rollups: the same schema as migrations/sqlite/0020_rollups.sql in Postgres types.
-- Counter tables leave room on each page so their updates can stay HOT; text keys compare
-- bytewise (COLLATE "C"), which is cheaper than a locale and sorts like SQLite.

ALTER TABLE short_urls ADD COLUMN public_stats BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE clicks ADD COLUMN visitor_hash TEXT, ADD COLUMN referrer_domain TEXT;

CREATE TABLE link_hourly (
    short_url_id BIGINT      NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    hour         TIMESTAMPTZ NOT NULL,
    total        BIGINT      NOT NULL DEFAULT 0,
    bots         BIGINT      NOT NULL DEFAULT 0,
    uniques      BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (short_url_id, hour)
) WITH (fillfactor = 80);
CREATE INDEX link_hourly_hour ON link_hourly (hour);

CREATE TABLE link_hourly_dims (
    short_url_id BIGINT      NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    dim          TEXT        COLLATE "C" NOT NULL,
    hour         TIMESTAMPTZ NOT NULL,
    value        TEXT        COLLATE "C" NOT NULL,
    total        BIGINT      NOT NULL DEFAULT 0,
    bots         BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (short_url_id, dim, hour, value)
) WITH (fillfactor = 80);

CREATE TABLE hourly_totals (
    hour    TIMESTAMPTZ PRIMARY KEY,
    total   BIGINT      NOT NULL DEFAULT 0,
    bots    BIGINT      NOT NULL DEFAULT 0,
    uniques BIGINT      NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

-- No foreign key: every row is a fresh insert, and a per-row check would slow the drain; the
-- trigger below and delete_link_visits remove a link's rows.
CREATE TABLE visitor_days (
    short_url_id BIGINT      NOT NULL,
    day          TIMESTAMPTZ NOT NULL,
    visitor_hash TEXT        COLLATE "C" NOT NULL,
    PRIMARY KEY (short_url_id, day, visitor_hash)
);
CREATE INDEX visitor_days_day ON visitor_days (day);

CREATE TABLE visitor_salts (
    day  TIMESTAMPTZ PRIMARY KEY,
    salt TEXT        NOT NULL
);

-- Deleting a link cascades to its clicks and rollups; take its figures out of the all-links
-- totals and drop its visitor rows too. Totals rows are locked in hour order, like the workers
-- do, so this cannot deadlock.
CREATE FUNCTION short_urls_forget_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM hourly_totals
    WHERE hour IN (SELECT hour FROM link_hourly WHERE short_url_id = OLD.id)
    ORDER BY hour FOR UPDATE;
    UPDATE hourly_totals h
    SET total = h.total - l.total, bots = h.bots - l.bots, uniques = h.uniques - l.uniques
    FROM link_hourly l
    WHERE l.short_url_id = OLD.id AND h.hour = l.hour;
    DELETE FROM visitor_days WHERE short_url_id = OLD.id;
    RETURN OLD;
END;
$$;

CREATE TRIGGER short_urls_forget_rollups BEFORE DELETE ON short_urls
    FOR EACH ROW EXECUTE FUNCTION short_urls_forget_rollups();
