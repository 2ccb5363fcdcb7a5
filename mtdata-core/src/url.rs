//! The base URL of a study server (`SERVER`), checked once when the config is read, and shown
//! everywhere as scheme, host and path only.
//!
//! A URL with a user name or password, a query or a fragment is refused: credentials go in `USER` and
//! `PASS`, and nothing else belongs in a base URL. So the text of a [`ServerUrl`] never holds a secret,
//! and its `Display` (what messages and logs show) is built from the scheme, host, port and path alone.

use std::fmt;
use std::net::IpAddr;

/// A checked server base URL (`http` or `https`, ending in `/`).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl(url::Url);

/// Why a `SERVER` value was refused. The message never repeats the value (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidServerUrl {
    #[error("must start with https:// (or http:// for a server on this computer)")]
    Scheme,
    #[error("is not a valid URL ({0})")]
    Syntax(String),
    #[error(
        "holds a user name or password ({shown}); remove them from the URL and give them in USER and PASS"
    )]
    Credentials { shown: String },
    #[error(
        "has a query or a fragment ({shown}); give only the base URL, such as https://host/api/"
    )]
    QueryOrFragment { shown: String },
}

impl ServerUrl {
    /// Check `text` and make it a base URL: trailing `/` added, and MTData's documented
    /// `.../api/export` form read as `.../api/` (MTData appended `export/` itself, as mtdata does).
    pub fn parse(text: &str) -> Result<Self, InvalidServerUrl> {
        let text = text.trim();
        let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(InvalidServerUrl::Scheme);
        }
        let mut url = url::Url::parse(text).map_err(|e| InvalidServerUrl::Syntax(e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(InvalidServerUrl::Credentials {
                shown: redacted(&url),
            });
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(InvalidServerUrl::QueryOrFragment {
                shown: redacted(&url),
            });
        }
        let path = url.path().trim_end_matches('/');
        let path = path.strip_suffix("/export").unwrap_or(path);
        url.set_path(&format!("{path}/"));
        Ok(ServerUrl(url))
    }

    /// The whole base URL, for requests.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The URL of `path` under the base (`path` without a leading `/`, e.g. `export/OA`).
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// `http://` rather than `https://`.
    pub fn is_plain_http(&self) -> bool {
        self.0.scheme() == "http"
    }

    /// The host is this computer: `localhost`, 127.0.0.0/8 or ::1.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(self.host())
    }

    /// The host, for messages.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }
}

/// `host` (a name, an IPv4 address or an IPv6 address with or without brackets) is this computer:
/// `localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Scheme, host, port and path: never a user, password, query or fragment.
fn redacted(url: &url::Url) -> String {
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.path()
    )
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redacted(&self.0))
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_end_in_a_slash_and_drop_mtdatas_export() {
        for (text, base) in [
            ("https://h.example/api/", "https://h.example/api/"),
            ("https://h.example/api", "https://h.example/api/"),
            ("https://h.example/t/api/export", "https://h.example/t/api/"),
            (
                "https://h.example/t/api/export/",
                "https://h.example/t/api/",
            ),
            (" HTTP://127.0.0.1:8080/api/ ", "http://127.0.0.1:8080/api/"),
        ] {
            let url = ServerUrl::parse(text).unwrap();
            assert_eq!(url.as_str(), base, "{text}");
            assert_eq!(url.to_string(), base, "{text}");
        }
        let url = ServerUrl::parse("https://h.example/api/").unwrap();
        assert_eq!(url.join("export/OA"), "https://h.example/api/export/OA");
    }

    #[test]
    fn loopback_hosts() {
        for (text, loopback) in [
            ("http://127.0.0.1:1/api/", true),
            ("http://127.9.8.7/api/", true),
            ("http://[::1]:8080/api/", true),
            ("http://LocalHost/api/", true),
            ("http://10.0.0.1/api/", false),
            ("http://0.0.0.0/api/", false),
            ("http://127.0.0.1.nip.io/api/", false),
            ("http://localhost.example.org/api/", false),
            ("http://[::ffff:10.0.0.1]/api/", false),
        ] {
            let url = ServerUrl::parse(text).unwrap();
            assert_eq!(url.is_loopback(), loopback, "{text}");
            assert!(url.is_plain_http());
        }
    }

    #[test]
    fn secrets_queries_and_fragments_are_refused_without_being_shown() {
        for text in [
            "https://admin:hunter2-secret@h.example/api/",
            "https://admin@h.example/api/",
            "https://h.example/api/?token=hunter2-secret",
            "https://h.example/api/#hunter2-secret",
        ] {
            let err = ServerUrl::parse(text).unwrap_err().to_string();
            assert!(!err.contains("hunter2"), "{err}");
            assert!(!err.contains("admin"), "{err}");
            assert!(err.contains("https://h.example/api/"), "{err}");
        }
        assert_eq!(
            ServerUrl::parse("ftp://h/").unwrap_err(),
            InvalidServerUrl::Scheme
        );
        assert!(matches!(
            ServerUrl::parse("https://"),
            Err(InvalidServerUrl::Syntax(_))
        ));
    }
}
