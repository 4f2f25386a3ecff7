-- A `short-url-deleted` delivery outlives its link: it keeps the link's address (its code, and
-- `@domain` off the default domain) instead of a reference that the deletion would cascade away.
ALTER TABLE webhook_deliveries ADD COLUMN link_address TEXT;
