-- The dashboard's campaign breakdowns (utm_source, utm_medium, utm_campaign across all links)
-- read link_hourly_dims by dimension and hour, not by link: one small partial index per campaign
-- dimension, holding only the rows of tagged visits.
CREATE INDEX link_hourly_dims_utm_source ON link_hourly_dims (hour, value) WHERE dim = 'utm_source';
CREATE INDEX link_hourly_dims_utm_medium ON link_hourly_dims (hour, value) WHERE dim = 'utm_medium';
CREATE INDEX link_hourly_dims_utm_campaign ON link_hourly_dims (hour, value)
    WHERE dim = 'utm_campaign';
