//! Applet passwords to a key ring. The caller reads the passwords (from the environment, from files); this
//! crate only turns them into keys.

use std::collections::BTreeMap;

use mindlogger_model::AppletEncryption;
use mtdata_core::Secret;
use mtdata_crypto::Backend;
use mtdata_crypto::mindlogger::{AppletKey, KeyRing};

use crate::error::{Error, Result};

/// One password of an applet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppletPassword {
    pub password: Secret,
    /// For data under a previous owner's key: that owner's account id. The key cannot be checked (the
    /// server no longer holds its public key) and is tried in each of MindLogger's ten primes.
    pub account_id: Option<String>,
}

impl AppletPassword {
    /// A password of the applet's current owner.
    pub fn new(password: Secret) -> Self {
        AppletPassword {
            password,
            account_id: None,
        }
    }
}

/// Per applet id, its passwords in the order their keys are tried.
pub type AppletPasswords = BTreeMap<String, Vec<AppletPassword>>;

/// The key ring of one applet: each current-owner password checked against the applet's public key (a
/// wrong one is an error), then each previous-owner password in all ten primes. No passwords: an empty
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
