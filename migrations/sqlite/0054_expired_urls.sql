-- Where a link sends visitors once it has expired, before it starts, or after its visit cap
-- (ours, beyond Shlink's contract); NULL falls back to the server's --expired-url, then to the
-- invalid-short-URL redirect or the 404 page.
ALTER TABLE short_urls ADD COLUMN expired_url TEXT;
