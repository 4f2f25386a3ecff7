-- Where visitors who miss a link are sent, per domain (Shlink's "not found" redirects). The
-- default domain is stored as 'DEFAULT', Shlink's keyword for it, so a new base URL keeps them.
CREATE TABLE domain_redirects (
    domain                     TEXT PRIMARY KEY,
    base_url_redirect          TEXT,
    regular404_redirect        TEXT,
    invalid_short_url_redirect TEXT
);
