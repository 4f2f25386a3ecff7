-- The same change as migrations/sqlite/0041_visitor_days.sql: visitor hashes shrink to their
-- first 16 hex characters (recent visitor_days rows shortened, so a visitor seen before the
-- upgrade is not counted unique again), and visitor_days is keyed by day first, without the
-- separate day index. Two long hashes of one link and day that share their first 16 characters
-- become one row.
CREATE TABLE visitor_days_by_day (
    day          TIMESTAMPTZ NOT NULL,
    short_url_id BIGINT      NOT NULL,
    visitor_hash TEXT        COLLATE "C" NOT NULL,
    PRIMARY KEY (day, short_url_id, visitor_hash)
);
INSERT INTO visitor_days_by_day (day, short_url_id, visitor_hash)
SELECT day, short_url_id, left(visitor_hash, 16) FROM visitor_days
ON CONFLICT DO NOTHING;
DROP TABLE visitor_days;
ALTER TABLE visitor_days_by_day RENAME TO visitor_days;
ALTER TABLE visitor_days RENAME CONSTRAINT visitor_days_by_day_pkey TO visitor_days_pkey;

-- The link-deletion trigger of 0020, deleting the link's visitor rows by day.
CREATE OR REPLACE FUNCTION short_urls_forget_rollups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM hourly_totals
    WHERE hour IN (SELECT hour FROM link_hourly WHERE short_url_id = OLD.id)
    ORDER BY hour FOR UPDATE;
    UPDATE hourly_totals h
    SET total = h.total - l.total, bots = h.bots - l.bots, uniques = h.uniques - l.uniques
    FROM link_hourly l
    WHERE l.short_url_id = OLD.id AND h.hour = l.hour;
    DELETE FROM visitor_days
    WHERE day IN (SELECT day FROM visitor_salts) AND short_url_id = OLD.id;
    RETURN OLD;
END;
$$;
