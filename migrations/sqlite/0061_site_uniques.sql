-- Unique visitors across links: a person who visits two links on one day is one visitor of all
-- links that day, no longer two. `site_visitor_days` decides whether a click's visitor is new
-- among all links' visitors that day (keyed by a hash without the link, pruned with the day's
-- salt as `visitor_days` is); `hourly_totals.uniques` counts those, and `link_hourly.site_uniques`
-- the ones first seen on each link, so a deleted link takes exactly its own out of the totals.
-- Figures stored before were counted per link; they keep that meaning (site_uniques = uniques),
-- since who they were is not known any more.
ALTER TABLE link_hourly ADD COLUMN site_uniques INTEGER NOT NULL DEFAULT 0;
UPDATE link_hourly SET site_uniques = uniques;

CREATE TABLE site_visitor_days (
    day          INTEGER NOT NULL,
    visitor_hash TEXT    NOT NULL,
    PRIMARY KEY (day, visitor_hash)
) WITHOUT ROWID;

DROP TRIGGER short_urls_forget_rollups;
CREATE TRIGGER short_urls_forget_rollups BEFORE DELETE ON short_urls
BEGIN
    UPDATE hourly_totals
    SET total = hourly_totals.total - l.total,
        bots = hourly_totals.bots - l.bots,
        uniques = hourly_totals.uniques - l.site_uniques
    FROM (SELECT hour, total, bots, site_uniques FROM link_hourly WHERE short_url_id = OLD.id) AS l
    WHERE hourly_totals.hour = l.hour;
    DELETE FROM visitor_days
    WHERE day IN (SELECT day FROM visitor_salts) AND short_url_id = OLD.id;
END;
