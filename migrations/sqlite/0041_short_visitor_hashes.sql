-- Visitor hashes shrink from the whole SHA-256 (64 hex characters) to its first 8 bytes (16),
-- in every new click and visitor_days row. visitor_days only decides whether a visitor of today
-- (or yesterday, before pruning) is new, so its rows are shortened in place: a visitor seen
-- before the upgrade is not counted unique a second time. (A row whose short hash another row
-- of the same link and day already has is left as it is, by OR IGNORE, and pruned with its day.)
-- Clicks stored before keep their long hash; nothing reads it back.
UPDATE OR IGNORE visitor_days
SET visitor_hash = substr(visitor_hash, 1, 16)
WHERE length(visitor_hash) > 16;
