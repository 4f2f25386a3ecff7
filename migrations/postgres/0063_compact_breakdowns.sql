-- Compact breakdown rows (issue 10): a dimension is stored as a small code, its value as the id
-- of the text in click_texts (the dictionary the click rows already use) and its hour as whole
-- hours since the epoch, so a link_hourly_dims row keeps four integers as its key instead of two
-- strings and an instant. The codes are `Dimension::code`'s; they never change. Columns are
-- ordered widest first, so the row has no padding.

INSERT INTO click_texts (value)
SELECT DISTINCT value FROM link_hourly_dims
ON CONFLICT (md5(value)) DO NOTHING;

CREATE TABLE link_hourly_dims_compact (
    short_url_id BIGINT   NOT NULL REFERENCES short_urls (id) ON DELETE CASCADE,
    value_id     BIGINT   NOT NULL,
    hour         INTEGER  NOT NULL,
    total        INTEGER  NOT NULL DEFAULT 0,
    bots         INTEGER  NOT NULL DEFAULT 0,
    dim          SMALLINT NOT NULL,
    PRIMARY KEY (short_url_id, dim, hour, value_id)
) WITH (fillfactor = 80);

INSERT INTO link_hourly_dims_compact (short_url_id, value_id, hour, total, bots, dim)
SELECT d.short_url_id, t.id, CAST(floor(EXTRACT(EPOCH FROM d.hour) / 3600) AS INTEGER),
       d.total, d.bots,
       CASE d.dim
           WHEN 'country' THEN 1
           WHEN 'city' THEN 2
           WHEN 'referrer' THEN 3
           WHEN 'browser' THEN 4
           WHEN 'os' THEN 5
           WHEN 'device' THEN 6
           WHEN 'destination' THEN 7
           WHEN 'utm_source' THEN 8
           WHEN 'utm_medium' THEN 9
           WHEN 'utm_campaign' THEN 10
       END
FROM link_hourly_dims d
JOIN click_texts t ON md5(t.value) = md5(d.value) AND t.value = d.value
ORDER BY d.short_url_id, 6, d.hour, t.id;

DROP TABLE link_hourly_dims;
ALTER TABLE link_hourly_dims_compact RENAME TO link_hourly_dims;
ALTER TABLE link_hourly_dims RENAME CONSTRAINT link_hourly_dims_compact_pkey TO link_hourly_dims_pkey;
ALTER TABLE link_hourly_dims
    RENAME CONSTRAINT link_hourly_dims_compact_short_url_id_fkey TO link_hourly_dims_short_url_id_fkey;

-- The dashboard's campaign breakdowns, as in 0062, by code.
CREATE INDEX link_hourly_dims_utm_source ON link_hourly_dims (hour, value_id) WHERE dim = 8;
CREATE INDEX link_hourly_dims_utm_medium ON link_hourly_dims (hour, value_id) WHERE dim = 9;
CREATE INDEX link_hourly_dims_utm_campaign ON link_hourly_dims (hour, value_id) WHERE dim = 10;
