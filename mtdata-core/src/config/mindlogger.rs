//! The keys of a MindLogger server block (`docs/mindlogger.md`) and where applet passwords come from.
//!
//! Parsing stays pure: `APPLET_PASSWORDS` names sources (an environment variable, an owner-only file);
//! [`MindLoggerConfig::resolve_passwords`] reads them through closures the program passes in, so only
//! the CLI touches the environment and the file system.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

use super::BlockParser;
use crate::error::{Error, Result};
use crate::mindlogger::{AppletId, MindLoggerApi};
use crate::secret::Secret;

/// How far behind the last export a run starts again, in minutes, unless `OVERLAP` says otherwise.
pub const DEFAULT_OVERLAP_MINUTES: u64 = 60;

/// Answers per page asked of a v2 server unless `PAGE_SIZE` says otherwise (the admin panel's 250).
pub const DEFAULT_PAGE_SIZE: u32 = 250;

/// Keys only MindTrails servers take, and why a MindLogger block needs none of them.
const MINDTRAILS_ONLY: &[(&str, &str)] = &[
    (
        "DELETE_MODE",
        "nothing is ever deleted from a MindLogger server",
    ),
    ("PRIVATE_FILE", "applet passwords go in APPLET_PASSWORDS"),
    (
        "INCREMENTAL",
        "every run starts OVERLAP minutes behind the last one",
    ),
];

/// Keys only MindLogger servers take.
const MINDLOGGER_ONLY: &[&str] = &[
    "APPLETS",
    "APPLET_PASSWORDS",
    "PAGE_SIZE",
    "GIRDER",
    "TIMEZONE",
];

/// The platform of a server block (`PLATFORM`; absent means MindTrails, so every MTData file keeps
/// working).
#[derive(Debug, Clone, Default)]
pub enum Platform {
    #[default]
    MindTrails,
    MindLogger(MindLoggerConfig),
}

impl Platform {
    /// The MindLogger settings, for a MindLogger block.
    pub fn mindlogger(&self) -> Option<&MindLoggerConfig> {
        match self {
            Platform::MindTrails => None,
            Platform::MindLogger(config) => Some(config),
        }
    }

    /// `mindtrails`, `mindlogger-v1` or `mindlogger-v2`.
    pub fn name(&self) -> &'static str {
        match self {
            Platform::MindTrails => "mindtrails",
            Platform::MindLogger(config) => config.api.as_str(),
        }
    }
}

/// What a MindLogger block asks for.
#[derive(Debug, Clone)]
pub struct MindLoggerConfig {
    pub api: MindLoggerApi,
    pub applets: AppletSelection,
    /// Per applet, in file order: where its passwords come from.
    pub applet_passwords: Vec<AppletPasswordSources>,
    /// `OVERLAP`: minutes behind the last export a run starts again.
    pub overlap_minutes: u64,
    /// `PAGE_SIZE` (v2): answers per page.
    pub page_size: u32,
    /// `GIRDER` (v1): also walk the server's Girder structure (collections, folders, items, users) into
    /// `raw_data/girder/` on every export. Off unless the block says `GIRDER: true`.
    pub girder: bool,
    /// `TIMEZONE`: the study's time zone (an IANA name such as `America/New_York`), for schedule expansion
    /// and per-day reports. UTC unless given.
    pub timezone: chrono_tz::Tz,
    /// The config file and block, for messages about password sources.
    config_path: PathBuf,
    block: String,
}

/// `APPLETS`: every applet the account may export, or these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppletSelection {
    All,
    Only(Vec<AppletId>),
}

impl AppletSelection {
    pub fn includes(&self, applet: &AppletId) -> bool {
        match self {
            AppletSelection::All => true,
            AppletSelection::Only(ids) => ids.contains(applet),
        }
    }
}

/// The password sources of one applet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppletPasswordSources {
    pub applet: AppletId,
    pub sources: Vec<PasswordSource>,
}

/// One entry of an applet's list: where the password is, and the account id it was set under when
/// that is not the applet's current one (an older owner's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSource {
    pub location: SecretLocation,
    pub account_id: Option<String>,
}

/// Where a secret is kept; never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretLocation {
    /// An environment variable.
    Env(String),
    /// The first line of a file only its owner may read (relative paths: from the working folder).
    File(PathBuf),
}

impl fmt::Display for SecretLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretLocation::Env(name) => write!(f, "ENV {name}"),
            SecretLocation::File(path) => write!(f, "FILE {}", path.display()),
        }
    }
}

/// A password file as the program read it, for [`MindLoggerConfig::resolve_passwords`].
#[derive(Debug, Clone)]
pub struct PasswordFile {
    pub text: Secret,
    /// Unix permission bits (`0o600`); `None` where the system has none.
    pub mode: Option<u32>,
}

/// An applet password, read from its source.
#[derive(Debug, Clone)]
pub struct AppletPassword {
    pub password: Secret,
    /// The account id the key was derived with, when not the applet's current one.
    pub account_id: Option<String>,
    /// Where it came from, for messages.
    pub source: SecretLocation,
}

/// The applet passwords of a block, each applet's in config order (the key ring's order).
#[derive(Debug, Clone, Default)]
pub struct AppletPasswords(BTreeMap<AppletId, Vec<AppletPassword>>);

impl AppletPasswords {
    /// The passwords of `applet` (empty when it has none).
    pub fn for_applet(&self, applet: &AppletId) -> &[AppletPassword] {
        self.0.get(applet).map_or(&[], Vec::as_slice)
    }

    /// Add a password to `applet`'s list (after those already there).
    pub fn push(&mut self, applet: AppletId, password: AppletPassword) {
        self.0.entry(applet).or_default().push(password);
    }

    /// Applets with at least one password.
    pub fn applets(&self) -> impl Iterator<Item = &AppletId> {
        self.0.keys()
    }
}

impl MindLoggerConfig {
    /// Read every password source: `env` looks up environment variables, `read_file` reads a file and
    /// its permission bits (the CLI passes `std::env::var` and the file system). A file that others
    /// may read, an empty password or a variable that is not set is an error naming the file, block,
    /// key and applet, and never the password.
    pub fn resolve_passwords(
        &self,
        env: impl Fn(&str) -> Option<String>,
        read_file: impl Fn(&Path) -> std::io::Result<PasswordFile>,
    ) -> Result<AppletPasswords> {
        let mut passwords = AppletPasswords::default();
        for entry in &self.applet_passwords {
            for source in &entry.sources {
                let password = match &source.location {
                    SecretLocation::Env(name) => env(name).map(Secret::new).ok_or_else(|| {
                        self.password_error(
                            &entry.applet,
                            format!("ENV names environment variable {name}, which is not set"),
                        )
                    })?,
                    SecretLocation::File(path) => self.read_password_file(
                        &entry.applet,
                        path,
                        read_file(path).map_err(|source| {
                            Error::PasswordFile(Box::new(crate::error::PasswordFileError {
                                path: self.config_path.clone(),
                                block: self.block.clone(),
                                applet: entry.applet.to_string(),
                                file: path.clone(),
                                source,
                            }))
                        })?,
                    )?,
                };
                if password.is_empty() {
                    return Err(self.password_error(
                        &entry.applet,
                        format!("the password from {} is empty", source.location),
                    ));
                }
                passwords.push(
                    entry.applet.clone(),
                    AppletPassword {
                        password,
                        account_id: source.account_id.clone(),
                        source: source.location.clone(),
                    },
                );
            }
        }
        Ok(passwords)
    }

    fn read_password_file(
        &self,
        applet: &AppletId,
        path: &Path,
        file: PasswordFile,
    ) -> Result<Secret> {
        if let Some(mode) = file.mode.filter(|mode| mode & 0o077 != 0) {
            return Err(self.password_error(
                applet,
                format!(
                    "password file {} can be read by other users (mode {:04o}); run `chmod 600 {}`",
                    path.display(),
                    mode & 0o7777,
                    path.display()
                ),
            ));
        }
        let first_line = file.text.expose().lines().next().unwrap_or_default();
        Ok(Secret::new(first_line))
    }

    fn password_error(&self, applet: &AppletId, message: String) -> Error {
        Error::ConfigValue {
            path: self.config_path.clone(),
            block: self.block.clone(),
            key: "APPLET_PASSWORDS".into(),
            message: format!("applet {applet}: {message}"),
        }
    }
}

impl<E: Fn(&str) -> Option<String>> BlockParser<'_, E> {
    /// `PLATFORM`: `None` for MindTrails (absent, or `mindtrails`).
    pub(super) fn platform(
        &self,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
    ) -> Result<Option<MindLoggerApi>> {
        match self.string(get, "PLATFORM")?.as_deref() {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("mindtrails") => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("mindlogger-v1") => Ok(Some(MindLoggerApi::V1)),
            Some(v) if v.eq_ignore_ascii_case("mindlogger-v2") => Ok(Some(MindLoggerApi::V2)),
            Some(_) => Err(self.error(
                "PLATFORM",
                "must be mindlogger-v1, mindlogger-v2 or mindtrails (the default)",
            )),
        }
    }

    /// Refuse the keys of the other platform: a MindTrails key in a MindLogger block, or a
    /// MindLogger key in a block without `PLATFORM`.
    pub(super) fn refuse_other_platform_keys(
        &self,
        present: impl Fn(&str) -> bool,
        api: Option<MindLoggerApi>,
    ) -> Result<()> {
        match api {
            Some(api) => match MINDTRAILS_ONLY.iter().find(|(key, _)| present(key)) {
                Some((key, why)) => Err(self.error(
                    key,
                    format!("is a MindTrails key and this block is {api}; remove it ({why})"),
                )),
                None => Ok(()),
            },
            None => match MINDLOGGER_ONLY.iter().find(|key| present(key)) {
                Some(key) => Err(self.error(
                    key,
                    "is a MindLogger key; add PLATFORM: mindlogger-v1 or mindlogger-v2 (a block without PLATFORM is a MindTrails server)",
                )),
                None => Ok(()),
            },
        }
    }

    /// The MindLogger keys of the block.
    pub(super) fn mindlogger(
        &self,
        api: MindLoggerApi,
        get: &mut impl FnMut(&str) -> Option<Yaml>,
        overlap: Option<u64>,
        warnings: &mut Vec<String>,
    ) -> Result<MindLoggerConfig> {
        let applets = self.applets(api, get("APPLETS"))?;
        let applet_passwords = self.applet_passwords(api, get("APPLET_PASSWORDS"))?;
        if let AppletSelection::Only(ids) = &applets {
            for entry in applet_passwords.iter().filter(|e| !ids.contains(&e.applet)) {
                warnings.push(format!(
                    "config file {}, block \"{}\": APPLET_PASSWORDS has applet {}, which APPLETS does not list; its passwords are not used",
                    self.path.display(),
                    self.block,
                    entry.applet
                ));
            }
        }
        let page_size = match (api, self.unsigned(get, "PAGE_SIZE")?) {
            (_, None) => DEFAULT_PAGE_SIZE,
            (MindLoggerApi::V1, Some(_)) => {
                return Err(self.error(
                    "PAGE_SIZE",
                    "is for mindlogger-v2; a v1 server always sends 500 answers per page",
                ));
            }
            (MindLoggerApi::V2, Some(n)) => match u32::try_from(n) {
                Ok(n) if n >= 1 => n,
                _ => return Err(self.error("PAGE_SIZE", "must be between 1 and 4294967295")),
            },
        };
        let girder = match (api, self.bool(get, "GIRDER")?) {
            (_, None) => false,
            (MindLoggerApi::V1, Some(on)) => on,
            (MindLoggerApi::V2, Some(_)) => {
                return Err(self.error(
                    "GIRDER",
                    "is for mindlogger-v1; a v2 server has no Girder structure to walk",
                ));
            }
        };
        let timezone = match self.string(get, "TIMEZONE")? {
            None => chrono_tz::UTC,
            Some(name) => name.trim().parse::<chrono_tz::Tz>().map_err(|_| {
                self.error(
                    "TIMEZONE",
                    format!(
                        "{} is not a time zone; give an IANA name such as America/New_York or UTC",
                        crate::names::shown(&name)
                    ),
                )
            })?,
        };
        Ok(MindLoggerConfig {
            api,
            applets,
            applet_passwords,
            overlap_minutes: overlap.unwrap_or(DEFAULT_OVERLAP_MINUTES),
            page_size,
            girder,
            timezone,
            config_path: self.path.to_owned(),
            block: self.block.to_owned(),
        })
    }

    fn applet_id(&self, key: &str, api: MindLoggerApi, text: &str) -> Result<AppletId> {
        AppletId::new(api, text.trim()).map_err(|invalid| self.error(key, invalid.to_string()))
    }

    fn applets(&self, api: MindLoggerApi, value: Option<Yaml>) -> Result<AppletSelection> {
        const EXPECTED: &str = "must be all or a list of applet ids";
        let ids = match value {
            None | Some(Yaml::Null) => return Ok(AppletSelection::All),
            Some(Yaml::String(s)) if s.trim().eq_ignore_ascii_case("all") => {
                return Ok(AppletSelection::All);
            }
            Some(Yaml::String(s)) => vec![self.applet_id("APPLETS", api, &s)?],
            Some(Yaml::Array(items)) => {
                let mut ids = Vec::with_capacity(items.len());
                for item in items {
                    let Yaml::String(text) = item else {
                        return Err(self.error("APPLETS", EXPECTED));
                    };
                    let id = self.applet_id("APPLETS", api, &text)?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
            Some(_) => return Err(self.error("APPLETS", EXPECTED)),
        };
        match ids.is_empty() {
            true => Err(self.error("APPLETS", "lists no applet; give applet ids, or all")),
            false => Ok(AppletSelection::Only(ids)),
        }
    }

    fn applet_passwords(
        &self,
        api: MindLoggerApi,
        value: Option<Yaml>,
    ) -> Result<Vec<AppletPasswordSources>> {
        const KEY: &str = "APPLET_PASSWORDS";
        let map = match value {
            None | Some(Yaml::Null) => return Ok(Vec::new()),
            Some(Yaml::Hash(map)) => map,
            Some(_) => {
                return Err(self.error(
                    KEY,
                    "must map applet ids to lists of sources (- ENV: NAME or - FILE: path)",
                ));
            }
        };
        let mut entries: Vec<AppletPasswordSources> = Vec::with_capacity(map.len());
        for (key, sources) in map {
            let Yaml::String(text) = key else {
                return Err(self.error(KEY, "applet ids must be text"));
            };
            let applet = self.applet_id(KEY, api, &text)?;
            let sources = match sources {
                Yaml::Array(items) => items,
                single @ Yaml::Hash(_) => vec![single],
                _ => {
                    return Err(self.error(
                        KEY,
                        format!(
                            "applet {applet}: must list sources (- ENV: NAME or - FILE: path), never the password itself"
                        ),
                    ));
                }
            };
            if sources.is_empty() {
                return Err(self.error(KEY, format!("applet {applet}: lists no source")));
            }
            let sources = sources
                .iter()
                .map(|source| self.password_source(&applet, source))
                .collect::<Result<Vec<_>>>()?;
            match entries.iter_mut().find(|e| e.applet == applet) {
                Some(entry) => entry.sources.extend(sources),
                None => entries.push(AppletPasswordSources { applet, sources }),
            }
        }
        Ok(entries)
    }

    fn password_source(&self, applet: &AppletId, source: &Yaml) -> Result<PasswordSource> {
        let fail =
            |message: &str| self.error("APPLET_PASSWORDS", format!("applet {applet}: {message}"));
        let Yaml::Hash(map) = source else {
            return Err(fail(
                "a source is a mapping with ENV or FILE (and optionally ACCOUNT_ID), never the password itself",
            ));
        };
        let mut location = None;
        let mut account_id = None;
        for (key, value) in map {
            let key = match key {
                Yaml::String(k) => k.as_str(),
                _ => return Err(fail("source keys are ENV, FILE and ACCOUNT_ID")),
            };
            let text = match value {
                Yaml::String(s) if !s.trim().is_empty() => s.trim().to_owned(),
                _ => return Err(fail(&format!("{key} must be non-empty text"))),
            };
            let found = match key {
                "ENV" => SecretLocation::Env(text),
                "FILE" => SecretLocation::File(PathBuf::from(text)),
                "ACCOUNT_ID" => {
                    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        return Err(fail("ACCOUNT_ID must be one word (the account id)"));
                    }
                    account_id = Some(text);
                    continue;
                }
                other => {
                    return Err(fail(&format!(
                        "unknown key {other} in a source; a source has ENV or FILE, and optionally ACCOUNT_ID"
                    )));
                }
            };
            if location.replace(found).is_some() {
                return Err(fail(
                    "a source has ENV or FILE, not both; list two sources instead",
                ));
            }
        }
        let location = location.ok_or_else(|| fail("a source needs ENV or FILE"))?;
        Ok(PasswordSource {
            location,
            account_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;
    use crate::config::Config;

    const APPLET_V2: &str = "64a1f0c2-e1b2-43d4-a5f6-071829304a5b";
    const APPLET_V1: &str = "5f0e35523477de8b4a528dd0";

    fn block(platform: &str, extra: &str) -> String {
        format!(
            "ema:\n  PLATFORM: {platform}\n  READY: True\n  SERVER: 'https://api-v2.mindlogger.org/'\n  USER: ra@lab.example.org\n  PATH: /lab/data/ema/\n{extra}"
        )
    }

    fn parse(text: &str) -> Result<Config> {
        Config::from_yaml_str(text, Path::new("config/server.config"), |_| None)
    }

    fn mindlogger(text: &str) -> MindLoggerConfig {
        parse(text).unwrap().servers[0]
            .platform
            .mindlogger()
            .unwrap()
            .clone()
    }

    #[test]
    fn reads_the_documented_block() {
        let text = block(
            "mindlogger-v1",
            &format!(
                "  APPLETS: all\n  OVERLAP: 30\n  APPLET_PASSWORDS:\n    {APPLET_V1}:\n      - FILE: /home/ra/.mtdata/ema.pass\n      - ENV: EMA_OLD\n        ACCOUNT_ID: 5e9a1c2b3d4e5f6071829304\n"
            ),
        );
        let config = mindlogger(&text);
        assert_eq!(config.api, MindLoggerApi::V1);
        assert_eq!(config.applets, AppletSelection::All);
        assert_eq!(config.overlap_minutes, 30);
        assert_eq!(config.page_size, DEFAULT_PAGE_SIZE);
        assert_eq!(
            config.applet_passwords,
            [AppletPasswordSources {
                applet: AppletId::parse_any(APPLET_V1).unwrap(),
                sources: vec![
                    PasswordSource {
                        location: SecretLocation::File("/home/ra/.mtdata/ema.pass".into()),
                        account_id: None,
                    },
                    PasswordSource {
                        location: SecretLocation::Env("EMA_OLD".into()),
                        account_id: Some("5e9a1c2b3d4e5f6071829304".into()),
                    },
                ],
            }]
        );
        let v2 = mindlogger(&block(
            "MindLogger-V2",
            &format!("  APPLETS: [{APPLET_V2}]\n  PAGE_SIZE: 10000\n"),
        ));
        assert_eq!(v2.api, MindLoggerApi::V2);
        assert_eq!(v2.overlap_minutes, DEFAULT_OVERLAP_MINUTES);
        assert_eq!(v2.page_size, 10_000);
        assert!(
            v2.applets
                .includes(&AppletId::parse_any(APPLET_V2).unwrap())
        );
        assert!(
            !v2.applets
                .includes(&AppletId::parse_any(APPLET_V1).unwrap())
        );
    }

    #[test]
    fn girder_and_timezone() {
        let plain = mindlogger(&block("mindlogger-v1", ""));
        assert!(!plain.girder);
        assert_eq!(plain.timezone, chrono_tz::UTC);
        let on = mindlogger(&block(
            "mindlogger-v1",
            "  GIRDER: true\n  TIMEZONE: America/New_York\n",
        ));
        assert!(on.girder);
        assert_eq!(on.timezone, chrono_tz::America::New_York);
        let off = mindlogger(&block("mindlogger-v1", "  GIRDER: no\n"));
        assert!(!off.girder);
        let v2 = mindlogger(&block("mindlogger-v2", "  TIMEZONE: Europe/Berlin\n"));
        assert_eq!(v2.timezone, chrono_tz::Europe::Berlin);
        let refused = |text: String| parse(&text).unwrap_err().to_string();
        assert_eq!(
            refused(block("mindlogger-v1", "  TIMEZONE: Mars/Olympus_Mons\n")),
            "config file config/server.config, block \"ema\", key TIMEZONE: \"Mars/Olympus_Mons\" is not a time zone; give an IANA name such as America/New_York or UTC"
        );
        assert_eq!(
            refused(block("mindlogger-v2", "  GIRDER: true\n")),
            "config file config/server.config, block \"ema\", key GIRDER: is for mindlogger-v1; a v2 server has no Girder structure to walk"
        );
        assert_eq!(
            refused(block("mindlogger-v1", "  GIRDER: sometimes\n")),
            "config file config/server.config, block \"ema\", key GIRDER: must be True or False, not \"sometimes\""
        );
        assert_eq!(
            refused("s:\n  SERVER: https://x/api/\n  PATH: p\n  GIRDER: true\n".to_owned()),
            "config file config/server.config, block \"s\", key GIRDER: is a MindLogger key; add PLATFORM: mindlogger-v1 or mindlogger-v2 (a block without PLATFORM is a MindTrails server)"
        );
        assert_eq!(
            refused(block("mindlogger-v1", "  TIMEZONE: [UTC]\n")),
            "config file config/server.config, block \"ema\", key TIMEZONE: must be a single value, not a list or mapping"
        );
    }

    #[test]
    fn mindtrails_blocks_are_unchanged() {
        let text = "s:\n  SERVER: https://x/api/\n  PATH: p\n  DELETE_MODE: True\n  PLATFORM: mindtrails\n";
        let server = &parse(text).unwrap().servers[0];
        assert!(server.platform.mindlogger().is_none());
        assert_eq!(server.platform.name(), "mindtrails");
        assert!(server.delete_mode);
    }

    /// Every refusal names the file, block and key; the snapshot keeps their wording in one place.
    #[test]
    fn errors_name_file_block_and_key() {
        let cases = [
            block("mindlogger-v3", ""),
            block("mindlogger-v2", "  DELETE_MODE: False\n"),
            block("mindlogger-v2", "  PRIVATE_FILE: keys/private.pem\n"),
            block("mindlogger-v1", "  INCREMENTAL: after\n"),
            "s:\n  SERVER: https://x/api/\n  PATH: p\n  APPLETS: all\n".to_owned(),
            "s:\n  SERVER: https://x/api/\n  PATH: p\n  PAGE_SIZE: 5\n".to_owned(),
            block("mindlogger-v2", "  APPLETS: some\n"),
            block("mindlogger-v2", &format!("  APPLETS: [{APPLET_V1}]\n")),
            block("mindlogger-v1", "  APPLETS: ['../../etc/passwd']\n"),
            block("mindlogger-v2", "  APPLETS: []\n"),
            block("mindlogger-v2", "  APPLETS: {a: 1}\n"),
            block("mindlogger-v1", "  PAGE_SIZE: 100\n"),
            block("mindlogger-v2", "  PAGE_SIZE: 0\n"),
            block(
                "mindlogger-v2",
                &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}: hunter2\n"),
            ),
            block("mindlogger-v2", "  APPLET_PASSWORDS: [ENV: X]\n"),
            block(
                "mindlogger-v2",
                &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}:\n      - PASSWORD: hunter2\n"),
            ),
            block(
                "mindlogger-v2",
                &format!(
                    "  APPLET_PASSWORDS:\n    {APPLET_V2}:\n      - ENV: A\n        FILE: b\n"
                ),
            ),
            block(
                "mindlogger-v2",
                &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}:\n      - ACCOUNT_ID: x\n"),
            ),
            block(
                "mindlogger-v2",
                &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}:\n      - ENV: ''\n"),
            ),
            block(
                "mindlogger-v2",
                &format!(
                    "  APPLET_PASSWORDS:\n    {APPLET_V2}:\n      - ENV: A\n        ACCOUNT_ID: two words\n"
                ),
            ),
            block(
                "mindlogger-v2",
                &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}: []\n"),
            ),
            block(
                "mindlogger-v1",
                &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}:\n      - ENV: A\n"),
            ),
            "s:\n  PLATFORM: mindlogger-v2\n  PATH: p\n".to_owned(),
        ];
        let mut report = String::new();
        for text in &cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with("config file config/server.config"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
            report.push_str(&err);
            report.push('\n');
        }
        insta::assert_snapshot!(report);
    }

    #[test]
    fn a_password_for_an_applet_not_listed_is_a_warning() {
        let other = "7f0e35523477de8b4a528dd0";
        let text = block(
            "mindlogger-v1",
            &format!("  APPLETS: {APPLET_V1}\n  APPLET_PASSWORDS:\n    {other}:\n      - ENV: A\n"),
        );
        let config = parse(&text).unwrap();
        let warnings = &config.servers[0].warnings;
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains(&format!("applet {other}, which APPLETS does not list")));
    }

    fn with_passwords(sources: &str) -> MindLoggerConfig {
        mindlogger(&block(
            "mindlogger-v2",
            &format!("  APPLET_PASSWORDS:\n    {APPLET_V2}:\n{sources}"),
        ))
    }

    fn file(text: &str, mode: u32) -> io::Result<PasswordFile> {
        Ok(PasswordFile {
            text: Secret::new(text),
            mode: Some(mode),
        })
    }

    #[test]
    fn passwords_come_from_the_environment_and_owner_only_files() {
        let config = with_passwords(
            "      - ENV: LAB_PW\n      - FILE: old.pass\n        ACCOUNT_ID: 5e9a1c2b3d4e5f6071829304\n",
        );
        let passwords = config
            .resolve_passwords(
                |name| (name == "LAB_PW").then(|| "from env".to_owned()),
                |path| {
                    assert_eq!(path, Path::new("old.pass"));
                    file("from file\r\nsecond line\n", 0o100600)
                },
            )
            .unwrap();
        let applet = AppletId::parse_any(APPLET_V2).unwrap();
        let got: Vec<(&str, Option<&str>, String)> = passwords
            .for_applet(&applet)
            .iter()
            .map(|p| {
                (
                    p.password.expose(),
                    p.account_id.as_deref(),
                    p.source.to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("from env", None, "ENV LAB_PW".to_owned()),
                (
                    "from file",
                    Some("5e9a1c2b3d4e5f6071829304"),
                    "FILE old.pass".to_owned()
                ),
            ]
        );
        assert!(!format!("{passwords:?}").contains("from env"));
        let other = AppletId::parse_any(APPLET_V1).unwrap();
        assert!(passwords.for_applet(&other).is_empty());
    }

    #[test]
    fn unusable_sources_are_refused_without_showing_the_password() {
        let refuse = |sources: &str, read: &dyn Fn(&Path) -> io::Result<PasswordFile>| {
            let err = with_passwords(sources)
                .resolve_passwords(|_| None, read)
                .unwrap_err();
            let text = crate::error::chain(&err);
            assert!(!text.contains("s3cret"), "{text}");
            text
        };
        let readable = refuse("      - FILE: p\n", &|_| file("s3cret\n", 0o100644));
        assert_eq!(
            readable,
            format!(
                "config file config/server.config, block \"ema\", key APPLET_PASSWORDS: applet {APPLET_V2}: password file p can be read by other users (mode 0644); run `chmod 600 p`"
            )
        );
        let unset = refuse("      - ENV: NOPE\n", &|_| file("", 0o600));
        assert!(
            unset.ends_with("ENV names environment variable NOPE, which is not set"),
            "{unset}"
        );
        let empty = refuse("      - FILE: p\n", &|_| file("\ns3cret\n", 0o600));
        assert!(
            empty.ends_with("the password from FILE p is empty"),
            "{empty}"
        );
        let missing = refuse("      - FILE: p\n", &|_| {
            Err(io::Error::new(io::ErrorKind::NotFound, "No such file"))
        });
        assert!(
            missing.ends_with(&format!(
                "applet {APPLET_V2}: cannot read password file p: No such file"
            )),
            "{missing}"
        );
    }
}
