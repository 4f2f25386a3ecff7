-- The same change as migrations/sqlite/0061_site_uniques.sql: unique visitors across links,
-- decided by `site_visitor_days` and credited to the link each was first seen on.
ALTER TABLE link_hourly ADD COLUMN site_uniques BIGINT NOT NULL DEFAULT 0;
UPDATE link_hourly SET site_uniques = uniques;

CREATE TABLE site_visitor_days (
    day          TIMESTAMPTZ NOT NULL,
    visitor_hash TEXT        COLLATE "C" NOT NULL,
    PRIMARY KEY (day, visitor_hash)
);

CREATE OR REPLACE FUNCTION short_urls_forget_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM hourly_totals
    WHERE hour IN (SELECT hour FROM link_hourly WHERE short_url_id = OLD.id)
    ORDER BY hour FOR UPDATE;
    UPDATE hourly_totals h
    SET total = h.total - l.total, bots = h.bots - l.bots, uniques = h.uniques - l.site_uniques
    FROM link_hourly l
    WHERE l.short_url_id = OLD.id AND h.hour = l.hour;
    DELETE FROM visitor_days
    WHERE day IN (SELECT day FROM visitor_salts) AND short_url_id = OLD.id;
    RETURN OLD;
END;
$$;
