//! The protective checks of a config file, in one place: `SERVER` and `ALLOW_HTTP` (no plain HTTP
//! off this computer, no credentials, query or fragment in the URL), block names whose environment
//! variables would collide, and a file holding a password that others can read.

use std::path::Path;

use yaml_rust2::Yaml;

use super::{BlockParser, env_name};
use crate::error::{Error, Result};
use crate::url::ServerUrl;

impl<E: Fn(&str) -> Option<String>> BlockParser<'_, E> {
    /// `SERVER`, checked, and whether `ALLOW_HTTP` lets it be plain HTTP to another computer (then
    /// with a warning for every run that uses the block).
    pub(super) fn server_url(
        &self,
        text: &str,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
        warnings: &mut Vec<String>,
    ) -> Result<ServerUrl> {
        let url =
            ServerUrl::parse(text).map_err(|invalid| self.error("SERVER", invalid.to_string()))?;
        let allow_http = self.bool(get, "ALLOW_HTTP")?.unwrap_or(false);
        if url.is_plain_http() && !url.is_loopback() {
            if !allow_http {
                return Err(self.error(
                    "SERVER",
                    format!(
                        "{url} is plain http:// to {}, which is not this computer: the password and the study data would cross the network unencrypted; use https://, or add ALLOW_HTTP: True to this block if the network is trusted",
                        url.host()
                    ),
                ));
            }
            warnings.push(format!(
                "config file {}, block \"{}\": SERVER {url} is plain http:// to another computer (ALLOW_HTTP: True): the password and the study data cross the network unencrypted",
                self.path.display(),
                self.block
            ));
        }
        Ok(url)
    }
}

/// Refuse two blocks whose names give the same environment variables (`a-b` and `a_b` both read
/// `MTDATA_A_B_PASS`): one block would silently get the other's password.
pub(super) fn refuse_env_name_collisions<'a>(
    path: &Path,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let mut seen: Vec<(String, &str)> = Vec::new();
    for name in names {
        let env = env_name(name);
        if let Some((_, first)) = seen.iter().find(|(e, _)| *e == env) {
            return Err(Error::Config {
                path: path.to_owned(),
                message: format!(
                    "blocks \"{first}\" and \"{name}\" would both read MTDATA_{env}_USER and MTDATA_{env}_PASS; rename one of them"
                ),
            });
        }
        seen.push((env, name));
    }
    Ok(())
}

/// Whether a block gives a password in the file itself (`PASS`).
pub(super) fn block_holds_password(block: &Yaml) -> bool {
    let Yaml::Hash(map) = block else {
        return false;
    };
    match map.get(&Yaml::String("PASS".to_owned())) {
        None | Some(Yaml::Null) => false,
        Some(Yaml::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// A warning when a config file that holds a password (`PASS`) can be read by other users; `None` when
/// it cannot, holds none, or the system has no permission bits.
pub(super) fn readable_password_warning(path: &Path, holds_password: bool) -> Option<String> {
    if !holds_password {
        return None;
    }
    let mode = file_mode(path)?;
    (mode & 0o077 != 0).then(|| {
        format!(
            "config file {} holds a password (PASS) and can be read by other users (mode {:04o}); run `chmod 600 {}`, or give the password in MTDATA_<BLOCK>_PASS",
            path.display(),
            mode & 0o7777,
            path.display()
        )
    })
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    fn parse(text: &str) -> crate::Result<Config> {
        Config::from_yaml_str(text, Path::new("server.config"), |_| None)
    }

    #[test]
    fn plain_http_only_to_this_computer_or_when_allowed() {
        for host in ["127.0.0.1:8080", "localhost", "[::1]:1"] {
            let config = parse(&format!("s:\n  SERVER: http://{host}/api/\n  PATH: x\n")).unwrap();
            assert!(config.servers[0].warnings.is_empty(), "{host}");
        }
        let err = parse("s:\n  SERVER: http://10.1.2.3/api/\n  PATH: x\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key SERVER: http://10.1.2.3/api/ is plain http://"),
            "{err}"
        );
        assert!(err.contains("ALLOW_HTTP: True"), "{err}");
        let config =
            parse("s:\n  SERVER: http://10.1.2.3/api/\n  PATH: x\n  ALLOW_HTTP: True\n").unwrap();
        assert!(config.servers[0].warnings[0].contains("cross the network unencrypted"));
        let config =
            parse("s:\n  SERVER: https://10.1.2.3/api/\n  PATH: x\n  ALLOW_HTTP: True\n").unwrap();
        assert!(config.servers[0].warnings.is_empty());
    }

    #[test]
    fn mindlogger_blocks_are_checked_the_same_way() {
        let err =
            parse("m:\n  PLATFORM: mindlogger-v2\n  SERVER: http://api.example.org/\n  PATH: x\n")
                .unwrap_err()
                .to_string();
        assert!(err.contains("is plain http://"), "{err}");
    }

    #[test]
    fn colliding_environment_names_are_refused() {
        let err = parse(
            "a-b:\n  SERVER: https://h/api/\n  PATH: x\na_b:\n  SERVER: https://h/api/\n  PATH: y\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("blocks \"a-b\" and \"a_b\" would both read MTDATA_A_B_USER"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_password_others_can_read_is_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.config");
        let load = |text: &str, mode: u32| {
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            Config::load(&path, |_| None).unwrap().warnings
        };
        let with_pass = "s:\n  SERVER: https://h/api/\n  PATH: x\n  PASS: hunter2\n";
        let warnings = load(with_pass, 0o644);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("(mode 0644); run `chmod 600"),
            "{warnings:?}"
        );
        assert!(!warnings[0].contains("hunter2"));
        assert!(load(with_pass, 0o600).is_empty());
        assert!(
            load(
                "s:\n  SERVER: https://h/api/\n  PATH: x\n  USER: u\n",
                0o644
            )
            .is_empty()
        );
    }
}
