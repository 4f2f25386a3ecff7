-- A link's A/B split (ours): its weighted destinations as a JSON array of {"longUrl", "weight"}
-- (percentages; the rest of the visitors go to long_url). NULL means no split.
ALTER TABLE short_urls ADD COLUMN destinations TEXT;
