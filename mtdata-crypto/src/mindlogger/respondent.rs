//! The respondent's side (reference §4.3): the key pair the apps derive and the AES key they encrypt with.
//! Decryption never needs it; tests, benchmarks and simulators do.

use std::fmt;

use mindlogger_model::AppletEncryption;
use sha2::{Digest, Sha512};

use super::group::{Exponent, Group, strip_leading_zeros};
use super::secret::AesKeys;
use crate::backend::Backend;
use crate::error::Result;

/// The apps' private key bytes: `sha512(password + email) ‖ sha512(userId + email)`, raw bytes (no lossy
/// step, unlike the admin panel's applet key).
pub fn respondent_private_key(password: &str, email: &str, user_id: &str) -> Vec<u8> {
    let mut key = Sha512::digest(format!("{password}{email}")).to_vec();
    key.extend_from_slice(&Sha512::digest(format!("{user_id}{email}")));
    key
}

/// A respondent's DH key in one applet's group. `Debug` shows nothing secret.
#[derive(Clone)]
pub struct RespondentKey {
    group: Group,
    exponent: Exponent,
    base: Vec<u8>,
}

impl fmt::Debug for RespondentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RespondentKey").finish_non_exhaustive()
    }
}

impl RespondentKey {
    /// The key of a respondent with these private key bytes, in the applet's group.
    pub fn new(
        encryption: &AppletEncryption,
        private_key: &[u8],
        backend: Backend,
    ) -> Result<Self> {
        let group = Group::new(&encryption.prime, backend)?;
        Ok(RespondentKey {
            exponent: group.reduce_exponent(private_key),
            group,
            base: encryption.base.clone(),
        })
    }

    /// `base^key mod prime`, minimal big-endian: the `userPublicKey` stored with every answer.
    pub fn public_key(&self) -> Vec<u8> {
        strip_leading_zeros(&self.group.pow(&self.base, &self.exponent)).to_vec()
    }

    /// The AES keys for answers to the applet whose public key this is (`appletPublicKey^key mod prime`).
    pub fn aes_keys(&self, applet_public_key: &[u8]) -> AesKeys {
        AesKeys::from_padded_secret(self.group.pow(applet_public_key, &self.exponent))
    }
}
