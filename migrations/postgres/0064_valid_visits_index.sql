-- The non-orphan visits listing is the only reader of click_rows_kind_time, and it asks only for
-- valid visits in time order: a partial index on the time of those visits answers it the same
-- way without storing every click's kind a second time (issue 10's disk budget). Orphan visits
-- are found through click_rows_link_time (their link is NULL).
CREATE INDEX click_rows_valid_time ON click_rows (occurred_at) WHERE kind = 'valid_short_url';
DROP INDEX click_rows_kind_time;
