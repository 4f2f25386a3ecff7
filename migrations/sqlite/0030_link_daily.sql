-- Per link and UTC day: the sums of that day's link_hourly rows (uniques included, since a
-- visitor is credited once a day), so ranges of whole days, like the dashboard's top links over
-- 30 days, read one row per link and day instead of 24. The worker maintains it in the same
-- transaction as link_hourly; deleting a link cascades to it (the short_urls_forget_rollups
-- trigger only adjusts hourly_totals, which link_daily does not feed).
CREATE TABLE link_daily (
    short_url_id INTEGER NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    day          INTEGER NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    bots         INTEGER NOT NULL DEFAULT 0,
    uniques      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (short_url_id, day)
) WITHOUT ROWID;
-- Top links over a day range, answered from the index alone.
CREATE INDEX link_daily_day ON link_daily (day, short_url_id, total, bots);

-- Existing rollups: hours are epoch milliseconds at or after 1970, so truncating the division
-- finds the start of their UTC day.
INSERT INTO link_daily (short_url_id, day, total, bots, uniques)
SELECT short_url_id, hour / 86400000 * 86400000 AS day, SUM(total), SUM(bots), SUM(uniques)
FROM link_hourly
GROUP BY short_url_id, day;
