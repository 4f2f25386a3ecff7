-- Per link and UTC day: the same table as migrations/sqlite/0030_link_daily.sql in Postgres
-- types. Like link_hourly it leaves room on each page and indexes `day` alone, so the workers'
-- counter updates stay HOT; deleting a link cascades to it (the short_urls_forget_rollups
-- trigger only adjusts hourly_totals, which link_daily does not feed).
CREATE TABLE link_daily (
    short_url_id BIGINT      NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    day          TIMESTAMPTZ NOT NULL,
    total        BIGINT      NOT NULL DEFAULT 0,
    bots         BIGINT      NOT NULL DEFAULT 0,
    uniques      BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (short_url_id, day)
) WITH (fillfactor = 80);
CREATE INDEX link_daily_day ON link_daily (day);

-- Existing rollups, grouped by UTC day whatever the session's time zone.
INSERT INTO link_daily (short_url_id, day, total, bots, uniques)
SELECT short_url_id, date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day,
    SUM(total), SUM(bots), SUM(uniques)
FROM link_hourly
GROUP BY short_url_id, day;
