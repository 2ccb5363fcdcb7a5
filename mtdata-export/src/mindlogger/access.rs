//! Checking a MindLogger block without exporting (for `mtdata doctor`): log in, list the applets the block
//! would export, fetch each applet document and check the applet passwords as an export does before any
//! answer. Downloads no answer and writes nothing.

use mtdata_core::config::{AppletPasswords, ServerConfig};
use mtdata_core::mindlogger::{AppletId, MindLoggerApi};

use super::{Api, check_passwords, choose, v1, v2};
use crate::client::{Http, RetryPolicy};
use crate::error::{Error, Result};
use crate::export::TableSelection;

/// What [`check_access`] found about one applet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppletAccess {
    pub applet: AppletId,
    pub name: String,
    /// Whether the applet's answers are encrypted (it has a public key).
    pub encrypted: bool,
    /// Passwords checked against the applet's public key (those of an older owner cannot be).
    pub passwords_checked: usize,
    /// Why the applet document could not be read, if it could not.
    pub failure: Option<String>,
}

/// Log in and check every applet the block exports. Errors are the export's: credentials refused, an applet
/// forbidden, a wrong applet password ([`Error::WrongAppletPassword`]), the server not answering.
pub fn check_access(
    server: &ServerConfig,
    passwords: &AppletPasswords,
    retry: RetryPolicy,
) -> Result<Vec<AppletAccess>> {
    let Some(config) = server.platform.mindlogger() else {
        return Err(Error::WrongPlatform {
            server: server.name.clone(),
            platform: server.platform.name(),
        });
    };
    let http = Http::new(server.timeout_secs, retry)?;
    let mut api: Box<dyn Api> = match config.api {
        MindLoggerApi::V1 => Box::new(v1::Girder::login(server, http)?),
        MindLoggerApi::V2 => Box::new(v2::Client::login(server, config, http)?),
    };
    let walks_girder = config.girder && api.girder().is_some();
    let chosen = choose(
        server,
        config,
        &TableSelection::All,
        api.applets()?,
        walks_girder,
    )?;
    let mut found = Vec::with_capacity(chosen.len());
    for applet in chosen {
        let mut access = AppletAccess {
            applet: applet.id.clone(),
            name: applet.name.clone(),
            encrypted: false,
            passwords_checked: 0,
            failure: None,
        };
        match api.document(&applet, &mut |_| {})? {
            Ok(document) => {
                check_passwords(server, &applet, &document, passwords)?;
                access.encrypted = document.encryption.is_some();
                if access.encrypted {
                    access.passwords_checked = passwords
                        .for_applet(&applet.id)
                        .iter()
                        .filter(|p| p.account_id.is_none())
                        .count();
                }
            }
            Err(why) => access.failure = Some(why),
        }
        found.push(access);
    }
    Ok(found)
}
