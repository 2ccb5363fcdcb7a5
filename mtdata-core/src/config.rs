//! MTData's `server.config`: one YAML block per study server, read unchanged.
//!
//! Keys of a block (MTData's, plus optional new ones):
//!
//! | key | meaning |
//! | --- | --- |
//! | `READY` | export this server when the server argument is `.` (and at all, for `export`) |
//! | `DELETE_MODE` | delete sensitive rows from the server once their backup is verified |
//! | `SERVER` | base URL ending in `/api/`; mtdata appends `export/`, `export/<Table>`, `study` |
//! | `USER`, `PASS` | the admin account (HTTP Basic) |
//! | `PRIVATE_FILE` | the RSA private key for `decode`, relative to the working folder |
//! | `DATE_FORMAT`, `TIME_FORMAT` | MTData's file-name formats (read, kept for reports) |
//! | `PATH` | the study folder |
//! | `NAME` | the study's display name (defaults to the block name) |
//! | `INCREMENTAL` | new: `greaterThan` (default, servers 2016-2019), `after` (servers from 2019-05), `full` |
//! | `OVERLAP` | new: how far behind the mark to fetch again: ids for `greaterThan`, minutes for `after` |
//! | `PASS_ENV`, `USER_ENV` | new: the name of an environment variable holding the password / user |
//! | `TIMEOUT` | new: seconds without progress before a request is abandoned (default 60) |
//! | `PLATFORM` | new: `mindlogger-v1` or `mindlogger-v2` for a MindLogger server; absent means MindTrails |
//! | `ALLOW_HTTP` | new: let `SERVER` be plain `http://` to another computer (a warning on every run); `http://` to this computer (`localhost`, 127.0.0.0/8, ::1) needs nothing |
//! | `APPLETS`, `APPLET_PASSWORDS`, `PAGE_SIZE` | new, MindLogger only: see [`MindLoggerConfig`] and `docs/mindlogger.md` |
//! | `ALERTS`, `LOG_MAX_MB`, `LOG_KEEP`, `LOG_FORMAT` | new: this block's alerts and log size, see [`AlertSettings`] and `docs/unattended.md` |
//!
//! The top-level block `alerts:` is not a server: it holds the alert settings of every block
//! ([`unattended::ALERTS_BLOCK`]).
//!
//! Secrets may stay out of the file: `MTDATA_<BLOCK>_PASS` and `MTDATA_<BLOCK>_USER` (block name in
//! upper case, other characters as `_`) override `PASS`/`USER`, and so does the variable named by
//! `PASS_ENV`/`USER_ENV`.
//!
//! `SERVER` never holds a user name, password, query or fragment (refused), and messages show it as
//! scheme, host and path ([`ServerUrl`]). Two blocks whose names give the same variable names (`a-b`
//! and `a_b`) are refused. A file holding a `PASS` that others can read gives a warning
//! ([`Config::warnings`], for every run); warnings about one block ([`ServerConfig::warnings`]) are
//! for the runs that use it.
//!
//! A MindLogger block (`PLATFORM: mindlogger-v1|v2`) refuses the MindTrails-only keys
//! (`DELETE_MODE`, `PRIVATE_FILE`, `INCREMENTAL`), and a block without `PLATFORM` refuses the
//! MindLogger-only ones, so a block is never half of each.

mod mindlogger;
mod protection;
pub mod unattended;

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::url::ServerUrl;

pub use mindlogger::{
    AppletPassword, AppletPasswordSources, AppletPasswords, AppletSelection,
    DEFAULT_OVERLAP_MINUTES, DEFAULT_PAGE_SIZE, MindLoggerConfig, PasswordFile, PasswordSource,
    Platform, SecretLocation,
};
pub use unattended::{
    AccountEnv, AlertCommand, AlertRules, AlertSettings, EmailSettings, LogFormat, LogSettings,
    SmtpSecurity,
};

/// How a server is asked for rows newer than the last export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IncrementalMode {
    /// `?greaterThan=<id>`: servers from 2016-02 to 2019-05. Servers that ignore it send everything.
    #[default]
    GreaterThan,
    /// `?after=yyyy-MM-dd-HH-mm-ss`: servers from 2019-05 on.
    After,
    /// Always download whole tables, as MTData did.
    Full,
}

/// One server block.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The block name (`templeton`, `mindtrails`, ...).
    pub name: String,
    pub ready: bool,
    pub delete_mode: bool,
    /// Base URL, always ending in `/`; shown as scheme, host and path only.
    pub server: ServerUrl,
    pub user: Option<String>,
    pub pass: Option<Secret>,
    pub private_file: Option<PathBuf>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    /// The study folder.
    pub path: PathBuf,
    /// `NAME`, if given.
    pub display_name: Option<String>,
    pub incremental: IncrementalMode,
    /// Overlap behind the mark: ids (`greaterThan`) or minutes (`after`).
    pub overlap: Option<u64>,
    /// Seconds without progress before a request is abandoned.
    pub timeout_secs: u64,
    /// MindTrails, or MindLogger with its settings (`PLATFORM`).
    pub platform: Platform,
    /// A `USER_ENV`/`PASS_ENV` naming a variable that is not set ([`ServerConfig::credentials`]).
    pub unset_credential: Option<UnsetCredential>,
    /// Warnings about this block (unknown keys, `ALLOW_HTTP`, ...): for the runs that use it.
    pub warnings: Vec<String>,
    /// Where this server's alerts go (`alerts:` and `ALERTS`).
    pub alerts: AlertSettings,
    /// The size and format of the study's log.
    pub logs: LogSettings,
    /// The environment variables the account comes from (for `mtdata cron`).
    pub account_env: AccountEnv,
}

impl ServerConfig {
    /// The name reports use: `NAME`, else the block name.
    pub fn study_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    /// `SERVER` + `export/<table>`.
    pub fn export_url(&self, table: &str) -> String {
        self.server.join(&format!("export/{table}"))
    }

    /// The study folder layout.
    pub fn layout(&self) -> crate::layout::StudyLayout {
        crate::layout::StudyLayout::new(&self.path)
    }

    /// Check the account credentials before connecting: an error naming the file, block and key
    /// when `USER_ENV` or `PASS_ENV` names an environment variable that is not set.
    pub fn credentials(&self) -> Result<()> {
        match &self.unset_credential {
            None => Ok(()),
            Some(unset) => Err(Error::ConfigValue {
                path: unset.config.clone(),
                block: self.name.clone(),
                key: unset.key.to_owned(),
                message: format!("names environment variable {}, which is not set", unset.var),
            }),
        }
    }
}

/// The whole configuration file.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it was read from.
    pub path: PathBuf,
    /// Server blocks in file order.
    pub servers: Vec<ServerConfig>,
    /// Warnings about the file itself (a password others can read), for every run; those about one
    /// block are in its [`ServerConfig::warnings`].
    pub warnings: Vec<String>,
    /// Some block gives its password in the file (`PASS`).
    pub holds_password: bool,
}

const KNOWN_KEYS: &[&str] = &[
    "READY",
    "DELETE_MODE",
    "SERVER",
    "USER",
    "PASS",
    "PRIVATE_FILE",
    "DATE_FORMAT",
    "TIME_FORMAT",
    "PATH",
    "NAME",
    "INCREMENTAL",
    "OVERLAP",
    "PASS_ENV",
    "USER_ENV",
    "TIMEOUT",
    "PLATFORM",
    "APPLETS",
    "APPLET_PASSWORDS",
    "PAGE_SIZE",
    "ALLOW_HTTP",
    "GIRDER",
    "TIMEZONE",
];

impl Config {
    /// Read `path`. `env` looks up environment variables (the CLI passes `std::env::var`).
    pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::from_yaml_str(&text, path, env)?;
        config
            .warnings
            .extend(protection::readable_password_warning(
                path,
                config.holds_password,
            ));
        Ok(config)
    }

    /// Parse configuration text; `path` is only used in messages.
    pub fn from_yaml_str(
        text: &str,
        path: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| Error::ConfigSyntax {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let config_error = |message: String| Error::Config {
            path: path.to_owned(),
            message,
        };
        let root = match docs.into_iter().next() {
            Some(Yaml::Hash(map)) => map,
            Some(Yaml::Null) | None => {
                return Err(config_error(
                    "has no server blocks; see docs/guide.md for an example".into(),
                ));
            }
            Some(_) => {
                return Err(config_error(
                    "must be a mapping of server names to blocks".into(),
                ));
            }
        };
        let mut warnings = Vec::new();
        // Unattended operation: the reserved `alerts:` block, read first so every server gets it.
        let mut alerts = yaml_rust2::yaml::Hash::new();
        let mut root = root;
        let alerts_key = Yaml::String(unattended::ALERTS_BLOCK.to_owned());
        match root.get(&alerts_key) {
            Some(block) if unattended::is_settings_block(unattended::ALERTS_BLOCK, block) => {
                let parser = BlockParser {
                    path,
                    block: unattended::ALERTS_BLOCK,
                    env: &env,
                };
                alerts = parser.alerts_block(block, &mut warnings)?;
                root.remove(&alerts_key);
            }
            Some(_) => warnings.push(unattended::old_server_block_warning(path)),
            None => {}
        }
        let mut blocks = Vec::with_capacity(root.len());
        for (key, block) in root {
            let name = match key {
                Yaml::String(s) => s,
                Yaml::Integer(i) => i.to_string(),
                other => return Err(config_error(format!("block name {other:?} is not text"))),
            };
            blocks.push((name, block));
        }
        protection::refuse_env_name_collisions(path, blocks.iter().map(|(n, _)| n.as_str()))?;
        let mut servers = Vec::with_capacity(blocks.len());
        let mut holds_password = false;
        for (name, block) in &blocks {
            let parser = BlockParser {
                path,
                block: name,
                env: &env,
            };
            holds_password |= protection::block_holds_password(block);
            servers.push(parser.parse(block, &alerts)?);
        }
        if servers.is_empty() {
            return Err(config_error(
                "has no server blocks; see docs/guide.md for an example".into(),
            ));
        }
        Ok(Config {
            path: path.to_owned(),
            servers,
            warnings,
            holds_password,
        })
    }

    /// The servers a command works on, with MTData's meaning of the server argument:
    /// `.` is every block with `READY: True`; a name is that block, which must be `READY` too
    /// when `require_ready` (as `export` demands).
    pub fn select(&self, server: &str, require_ready: bool) -> Result<Vec<&ServerConfig>> {
        let err = |message: String| Error::Config {
            path: self.path.clone(),
            message,
        };
        if server == "." {
            let ready: Vec<&ServerConfig> = self.servers.iter().filter(|s| s.ready).collect();
            if ready.is_empty() {
                return Err(err(
                    "no server block has READY: True; set it on the servers to work on, or name one"
                        .into(),
                ));
            }
            return Ok(ready);
        }
        let Some(found) = self.servers.iter().find(|s| s.name == server) else {
            let names: Vec<&str> = self.servers.iter().map(|s| s.name.as_str()).collect();
            return Err(err(format!(
                "has no server block \"{server}\"; blocks are: {}",
                names.join(", ")
            )));
        };
        if require_ready && !found.ready {
            return Err(Error::ConfigValue {
                path: self.path.clone(),
                block: found.name.clone(),
                key: "READY".into(),
                message: "is not True; set READY: True to export this server".into(),
            });
        }
        Ok(vec![found])
    }
}

/// What a `*_ENV` key gave.
enum EnvValue {
    Unnamed,
    Set(String),
    /// The variable it names is not set.
    Unset(String),
}

/// A `USER_ENV`/`PASS_ENV` whose variable is not set: an error for commands that connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsetCredential {
    config: PathBuf,
    key: &'static str,
    var: String,
}

struct BlockParser<'a, E> {
    path: &'a Path,
    block: &'a str,
    env: &'a E,
}

impl<E: Fn(&str) -> Option<String>> BlockParser<'_, E> {
    fn error(&self, key: &str, message: impl Into<String>) -> Error {
        Error::ConfigValue {
            path: self.path.to_owned(),
            block: self.block.to_owned(),
            key: key.to_owned(),
            message: message.into(),
        }
    }

    fn parse(&self, block: &Yaml, alerts: &yaml_rust2::yaml::Hash) -> Result<ServerConfig> {
        let mut warnings = Vec::new();
        let Yaml::Hash(map) = block else {
            return Err(Error::Config {
                path: self.path.to_owned(),
                message: format!(
                    "block \"{}\" must be a mapping of keys such as SERVER, USER, PASS, PATH",
                    self.block
                ),
            });
        };
        let mut get = |key: &str| map.get(&Yaml::String(key.to_owned())).cloned();
        for key in map.keys() {
            let known = matches!(key, Yaml::String(k)
                if KNOWN_KEYS.contains(&k.as_str()) || unattended::BLOCK_KEYS.contains(&k.as_str()));
            if !known {
                warnings.push(format!(
                    "config file {}, block \"{}\": unknown key {}, ignored",
                    self.path.display(),
                    self.block,
                    yaml_key(key)
                ));
            }
        }
        let api = self.platform(&mut get)?;
        self.refuse_other_platform_keys(
            |key| map.contains_key(&Yaml::String(key.to_owned())),
            api,
        )?;
        let ready = self.bool(&mut get, "READY")?.unwrap_or(false);
        let delete_mode = self.bool(&mut get, "DELETE_MODE")?.unwrap_or(false);
        let server = self.string(&mut get, "SERVER")?.ok_or_else(|| {
            self.error(
                "SERVER",
                match api {
                    None => "is missing; give the base URL ending in /api/",
                    Some(_) => "is missing; give the server's base URL",
                },
            )
        })?;
        let server = self.server_url(&server, &mut get, &mut warnings)?;
        let path = self
            .string(&mut get, "PATH")?
            .ok_or_else(|| self.error("PATH", "is missing; give the study folder"))?;
        let env_prefix = format!("MTDATA_{}_", env_name(self.block));
        // A variable named by USER_ENV/PASS_ENV that is not set matters only to commands that
        // connect (decode and reports run offline without the account's password).
        let mut unset_credential = None;
        let mut from_env = |key: &'static str, get: &mut _| -> Result<Option<String>> {
            Ok(match self.env_value(get, key)? {
                EnvValue::Set(value) => Some(value),
                EnvValue::Unset(var) => {
                    unset_credential.get_or_insert(UnsetCredential {
                        config: self.path.to_owned(),
                        key,
                        var,
                    });
                    None
                }
                EnvValue::Unnamed => None,
            })
        };
        let user_env = from_env("USER_ENV", &mut get)?;
        let pass_env = from_env("PASS_ENV", &mut get)?;
        let user = user_env
            .or_else(|| (self.env)(&format!("{env_prefix}USER")))
            .or(self.string(&mut get, "USER")?);
        let pass = pass_env
            .or_else(|| (self.env)(&format!("{env_prefix}PASS")))
            .or(self.string(&mut get, "PASS")?)
            .map(Secret::new);
        let incremental = match self.string(&mut get, "INCREMENTAL")?.as_deref() {
            None => IncrementalMode::default(),
            Some(v) if v.eq_ignore_ascii_case("greaterThan") => IncrementalMode::GreaterThan,
            Some(v) if v.eq_ignore_ascii_case("after") => IncrementalMode::After,
            Some(v) if v.eq_ignore_ascii_case("full") => IncrementalMode::Full,
            Some(_) => {
                return Err(self.error("INCREMENTAL", "must be greaterThan, after or full"));
            }
        };
        let overlap = self.unsigned(&mut get, "OVERLAP")?;
        let timeout_secs = self.unsigned(&mut get, "TIMEOUT")?.unwrap_or(60);
        if timeout_secs == 0 {
            return Err(self.error("TIMEOUT", "must be at least 1 second"));
        }
        let platform = match api {
            None => Platform::MindTrails,
            Some(api) => {
                Platform::MindLogger(self.mindlogger(api, &mut get, overlap, &mut warnings)?)
            }
        };
        let (alerts, logs) = self.unattended(&mut get, alerts, &mut warnings)?;
        let account_env = self.account_env(&mut get)?;
        Ok(ServerConfig {
            name: self.block.to_owned(),
            ready,
            delete_mode,
            server,
            user,
            pass,
            private_file: self.string(&mut get, "PRIVATE_FILE")?.map(PathBuf::from),
            date_format: self.string(&mut get, "DATE_FORMAT")?,
            time_format: self.string(&mut get, "TIME_FORMAT")?,
            path: PathBuf::from(path),
            display_name: self.string(&mut get, "NAME")?,
            incremental,
            overlap,
            timeout_secs,
            platform,
            unset_credential,
            warnings,
            alerts,
            logs,
            account_env,
        })
    }

    fn env_value(&self, get: &mut impl FnMut(&str) -> Option<Yaml>, key: &str) -> Result<EnvValue> {
        let Some(var) = self.string(get, key)? else {
            return Ok(EnvValue::Unnamed);
        };
        Ok(match (self.env)(&var) {
            Some(value) => EnvValue::Set(value),
            None => EnvValue::Unset(var),
        })
    }

    fn string(
        &self,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
        key: &str,
    ) -> Result<Option<String>> {
        match get(key) {
            None | Some(Yaml::Null) => Ok(None),
            Some(Yaml::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Yaml::String(s)) => Ok(Some(s)),
            Some(Yaml::Integer(i)) => Ok(Some(i.to_string())),
            Some(Yaml::Real(r)) => Ok(Some(r)),
            Some(Yaml::Boolean(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.error(key, "must be a single value, not a list or mapping")),
        }
    }

    fn bool(&self, get: &mut impl FnMut(&str) -> Option<Yaml>, key: &str) -> Result<Option<bool>> {
        match get(key) {
            None | Some(Yaml::Null) => Ok(None),
            Some(Yaml::Boolean(b)) => Ok(Some(b)),
            // PyYAML (YAML 1.1) read these as booleans too.
            Some(Yaml::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "y" => Ok(Some(true)),
                "false" | "no" | "off" | "n" => Ok(Some(false)),
                _ => Err(self.error(key, format!("must be True or False, not \"{s}\""))),
            },
            Some(Yaml::Integer(1)) => Ok(Some(true)),
            Some(Yaml::Integer(0)) => Ok(Some(false)),
            Some(_) => Err(self.error(key, "must be True or False")),
        }
    }

    fn unsigned(
        &self,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
        key: &str,
    ) -> Result<Option<u64>> {
        match get(key) {
            None | Some(Yaml::Null) => Ok(None),
            Some(Yaml::Integer(i)) if i >= 0 => Ok(Some(i.unsigned_abs())),
            Some(Yaml::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(_) => Err(self.error(key, "must be a whole number, 0 or more")),
        }
    }
}

fn yaml_key(key: &Yaml) -> String {
    match key {
        Yaml::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// A block name as it appears in environment variable names.
pub fn env_name(block: &str) -> String {
    block
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
mindtrails:
  READY: False
  DELETE_MODE: False
  SERVER: 'https://MindTrails.virginia.edu/api/'
  USER:
  PASS:
  PRIVATE_FILE:
  DATE_FORMAT: "%b_%d_%Y"
  TIME_FORMAT: "%H_%M_%S"
  PATH: "/Users/dz8t/Box Sync/"
templeton:
  READY: True
  DELETE_MODE: True
  SERVER: 'https://mindtrails.virginia.edu/templeton/api/export'
  USER: admin@example.org
  PASS: s3cret
  PRIVATE_FILE: keys/private_1.pem
  DATE_FORMAT: "%b_%d_%Y"
  TIME_FORMAT: "%H_%M_%S"
  PATH: "/data/templeton/"
  NAME: Templeton
  COLOUR: blue
"#;

    fn parse(text: &str) -> Result<Config> {
        Config::from_yaml_str(text, Path::new("config/server.config"), |_| None)
    }

    #[test]
    fn reads_mtdata_sample() {
        let config = parse(SAMPLE).unwrap();
        assert_eq!(config.servers.len(), 2);
        let mt = &config.servers[0];
        assert!(!mt.ready && mt.user.is_none() && mt.pass.is_none());
        let t = &config.servers[1];
        assert!(t.ready && t.delete_mode);
        assert_eq!(
            t.server.as_str(),
            "https://mindtrails.virginia.edu/templeton/api/"
        );
        assert_eq!(t.study_name(), "Templeton");
        assert_eq!(t.pass.as_ref().unwrap().expose(), "s3cret");
        // MTData's documented `.../api/export` is taken silently; the unknown key is the block's.
        assert!(mt.warnings.is_empty() && config.warnings.is_empty());
        assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
        assert!(t.warnings[0].contains("block \"templeton\": unknown key COLOUR"));
        assert!(config.holds_password);
    }

    #[test]
    fn select_follows_mtdata() {
        let config = parse(SAMPLE).unwrap();
        let ready = config.select(".", true).unwrap();
        assert_eq!(ready.len(), 1);
        let err = config.select("mindtrails", true).unwrap_err().to_string();
        assert!(err.contains("block \"mindtrails\", key READY"), "{err}");
        assert_eq!(
            config.select("mindtrails", false).unwrap()[0].name,
            "mindtrails"
        );
        let err = config.select("nope", false).unwrap_err().to_string();
        assert!(err.contains("mindtrails, templeton"), "{err}");
    }

    #[test]
    fn secrets_from_environment() {
        let text = "s-1:\n  SERVER: http://127.0.0.1:1/api/\n  PATH: x\n  PASS: file\n";
        let config = Config::from_yaml_str(text, Path::new("c"), |name| {
            (name == "MTDATA_S_1_PASS").then(|| "env".to_owned())
        })
        .unwrap();
        assert_eq!(config.servers[0].pass.as_ref().unwrap().expose(), "env");
        let text = "s:\n  SERVER: https://h/api/\n  PATH: x\n  PASS_ENV: LAB_PASS\n";
        // Offline commands do not need the account password; connecting does.
        let config = parse(text).unwrap();
        let err = config.servers[0].credentials().unwrap_err().to_string();
        assert!(
            err.contains("key PASS_ENV: names environment variable LAB_PASS"),
            "{err}"
        );
    }

    #[test]
    fn errors_name_file_block_and_key() {
        let cases = [
            ("s:\n  PATH: x\n", "block \"s\", key SERVER: is missing"),
            (
                "s:\n  SERVER: ftp://x/\n  PATH: x\n",
                "key SERVER: must start with https://",
            ),
            (
                "s:\n  SERVER: 'https://u:p@x/api/'\n  PATH: x\n",
                "key SERVER: holds a user name or password (https://x/api/)",
            ),
            ("s:\n  SERVER: https://x/api/\n", "key PATH: is missing"),
            (
                "s:\n  SERVER: https://x/api/\n  PATH: x\n  READY: maybe\n",
                "key READY: must be True or False",
            ),
            (
                "s:\n  SERVER: https://x/api/\n  PATH: x\n  INCREMENTAL: sometimes\n",
                "key INCREMENTAL",
            ),
            ("s: [1, 2]\n", "block \"s\" must be a mapping"),
            ("", "has no server blocks"),
            ("s:\n  SERVER: 'x\n", "is not valid YAML"),
        ];
        for (text, expected) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with("config file config/server.config"), "{err}");
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn never_shows_the_password() {
        let config = parse(SAMPLE).unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
