//! Shlink's pagination envelope and page parameters.
