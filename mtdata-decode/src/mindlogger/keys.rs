//! Applet passwords to a key ring. The caller reads the passwords (`MindLoggerConfig::resolve_passwords`
//! of mtdata-core: from the environment, from files); this crate only turns them into keys.

use mindlogger_model::AppletEncryption;
use mtdata_core::config::AppletPassword;
use mtdata_crypto::Backend;
use mtdata_crypto::mindlogger::{AppletKey, KeyRing};

use crate::error::{Error, Result};

/// The key ring of one applet: each current-owner password checked against the applet's public key (a
/// wrong one is an error), then each previous-owner password (one with an `account_id`, whose public key is no longer
/// known) in all ten primes. No passwords: an empty
/// ring, and encrypted answers come out `missing key`.
pub fn applet_key_ring(
    applet: &str,
    encryption: Option<&AppletEncryption>,
    passwords: &[AppletPassword],
    backend: Backend,
) -> Result<KeyRing> {
    let mut checked = Vec::new();
    let mut unchecked = Vec::new();
    for (index, password) in passwords.iter().enumerate() {
        let key_error = |source| Error::AppletPassword {
            applet: applet.to_owned(),
            position: index + 1,
            source: Box::new(source),
        };
        match &password.account_id {
            None => {
                let encryption = encryption.ok_or_else(|| Error::NoAppletEncryption {
                    applet: applet.to_owned(),
                })?;
                checked.push(
                    AppletKey::derive_with(encryption, password.password.expose(), backend)
                        .map_err(key_error)?,
                );
            }
            Some(account_id) => unchecked.extend(
                AppletKey::derive_for_every_prime(password.password.expose(), account_id, backend)
                    .map_err(key_error)?,
            ),
        }
    }
    checked.extend(unchecked);
    Ok(KeyRing::new(checked))
}
