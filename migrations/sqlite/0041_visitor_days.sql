-- visitor_days, which decides whether a click's visitor is new to its link today, gets cheaper
-- to write (issue 10):
--
-- * Visitor hashes shrink from the whole SHA-256 (64 hex characters) to its first 8 bytes
--   (16), in every new click and visitor_days row. Clicks stored before keep their long hash
--   (nothing reads it back); visitor_days rows are shortened, so a visitor seen before the
--   upgrade is not counted unique a second time.
-- * Rows are keyed by day first: a batch's inserts all land in today's end of one B-tree, and
--   pruning old days needs no second index. Deleting a link's rows seeks each day kept
--   instead: every such day has its salt in visitor_salts (hashes are made with it, and both
--   are pruned together).
--
-- Two long hashes of one link and day that share their first 16 characters become one row
-- (INSERT OR IGNORE).
DROP TRIGGER short_urls_forget_rollups;

CREATE TABLE visitor_days_by_day (
    day          INTEGER NOT NULL,
    short_url_id INTEGER NOT NULL,
    visitor_hash TEXT    NOT NULL,
    PRIMARY KEY (day, short_url_id, visitor_hash)
) WITHOUT ROWID;
INSERT OR IGNORE INTO visitor_days_by_day (day, short_url_id, visitor_hash)
SELECT day, short_url_id, substr(visitor_hash, 1, 16) FROM visitor_days;
DROP TABLE visitor_days;
ALTER TABLE visitor_days_by_day RENAME TO visitor_days;

CREATE TRIGGER short_urls_forget_rollups BEFORE DELETE ON short_urls
BEGIN
    UPDATE hourly_totals
    SET total = hourly_totals.total - l.total,
        bots = hourly_totals.bots - l.bots,
        uniques = hourly_totals.uniques - l.uniques
    FROM (SELECT hour, total, bots, uniques FROM link_hourly WHERE short_url_id = OLD.id) AS l
    WHERE hourly_totals.hour = l.hour;
    DELETE FROM visitor_days
    WHERE day IN (SELECT day FROM visitor_salts) AND short_url_id = OLD.id;
END;
