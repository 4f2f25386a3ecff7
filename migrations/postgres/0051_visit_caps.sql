-- Human visits granted to a capped link at redirect time, taken one by one in an atomic
-- conditional update so maxVisits is exact across instances; the pipeline's counters follow later.
ALTER TABLE short_urls ADD COLUMN cap_used BIGINT NOT NULL DEFAULT 0;
UPDATE short_urls SET cap_used = visits_total - visits_bots WHERE max_visits IS NOT NULL;
