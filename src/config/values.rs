//! The values flags take that need more than a plain type: redirect statuses, the base URL and
//! listen address rules, and database URLs fit for logs.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use axum::http::StatusCode;
use url::Url;

/// The redirect status codes a link may answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedirectStatus(StatusCode);

impl RedirectStatus {
    /// The status to send.
    pub fn code(self) -> StatusCode {
        self.0
    }
}

impl FromStr for RedirectStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "301" => Ok(Self(StatusCode::MOVED_PERMANENTLY)),
            "302" => Ok(Self(StatusCode::FOUND)),
            "307" => Ok(Self(StatusCode::TEMPORARY_REDIRECT)),
            "308" => Ok(Self(StatusCode::PERMANENT_REDIRECT)),
            other => Err(format!("{other} is not one of 301, 302, 307, 308")),
        }
    }
}

impl fmt::Display for RedirectStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.as_u16())
    }
}

/// A database URL with any password hidden, for logs.
pub fn redacted(database_url: &str) -> String {
    match Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}

/// `--base-url`: an `http`/`https` URL with a host and nothing a short code could not follow
/// (a query, a fragment, credentials).
pub(super) fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw)
        .map_err(|err| format!("not an absolute URL ({err}), e.g. https://s.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("the base URL must start with http:// or https://".into());
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the base URL needs a host, e.g. https://s.example.com".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the base URL must not have a query (?…) or fragment (#…): short URLs are the base URL followed by /CODE".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the base URL must not carry a user name or password".into());
    }
    Ok(url)
}

/// `--listen`: `HOST:PORT`, the host a name or an address (IPv6 in brackets); resolved when
/// the server binds.
pub(super) fn parse_listen(raw: &str) -> Result<String, String> {
    if raw.parse::<SocketAddr>().is_ok() {
        return Ok(raw.to_owned());
    }
    let (host, port) = raw
        .rsplit_once(':')
        .ok_or("expected HOST:PORT, e.g. 127.0.0.1:8080 or localhost:8080")?;
    port.parse::<u16>()
        .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
    if host.is_empty() || host.contains([':', '/', ' ', '[', ']']) {
        return Err(format!(
            "{host:?} is not a host name or address (write IPv6 addresses in brackets: [::1]:8080)"
        ));
    }
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_status_accepts_only_redirects() {
        assert_eq!(
            "307".parse::<RedirectStatus>().unwrap().code().as_u16(),
            307
        );
        assert!("200".parse::<RedirectStatus>().is_err());
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redacted("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redacted("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn base_urls_that_would_break_short_urls_are_refused_with_the_rule() {
        for (bad, rule) in [
            ("ftp://s.example", "must start with http:// or https://"),
            ("https://s.example/?a=1", "must not have a query"),
            (
                "https://s.example/#top",
                "must not have a query (?…) or fragment",
            ),
            ("https://me:pw@s.example", "user name or password"),
            ("s.example", "not an absolute URL"),
        ] {
            let err = parse_base_url(bad).unwrap_err();
            assert!(err.contains(rule), "{bad}: {err}");
        }
        assert!(parse_base_url("https://s.example/go").is_ok());
    }

    #[test]
    fn listen_takes_addresses_and_host_names_with_a_port() {
        for good in [
            "127.0.0.1:8080",
            "[::1]:0",
            "localhost:8080",
            "app.internal:80",
        ] {
            assert_eq!(parse_listen(good).unwrap(), good);
        }
        for (bad, rule) in [
            ("localhost", "expected HOST:PORT"),
            ("localhost:http", "is not a number"),
            (":8080", "is not a host name"),
            ("::1:8080", "brackets"),
        ] {
            let err = parse_listen(bad).unwrap_err();
            assert!(err.contains(rule), "{bad}: {err}");
        }
    }
}
