-- The same change as migrations/sqlite/0041_short_visitor_hashes.sql: visitor hashes shrink to
-- 16 hex characters, and the recent visitor_days rows are shortened in place so a visitor seen
-- before the upgrade is not counted unique again. A row whose short hash the same link and day
-- already has is left as it is (and pruned with its day).
UPDATE visitor_days v
SET visitor_hash = left(v.visitor_hash, 16)
WHERE length(v.visitor_hash) > 16
  AND NOT EXISTS (
      SELECT 1 FROM visitor_days w
      WHERE w.short_url_id = v.short_url_id
        AND w.day = v.day
        AND w.visitor_hash = left(v.visitor_hash, 16));
