//! From a Diffie-Hellman shared secret to the AES-256 keys MindLogger derived from it (reference §4.4, §4.6).

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// Which byte form of the shared secret an AES key was hashed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretForm {
    /// Left-padded to the prime's length: the admin panel and the apps (`computeSecret`).
    Padded,
    /// Minimal big-endian: Python on the servers (v1 `returnKeys` since 2021-05, v2 re-encryption on password
    /// change). Differs from `Padded` only when the secret's top byte is 0, about 1 pair in 256.
    Unpadded,
}

impl SecretForm {
    /// `padded` or `unpadded`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretForm::Padded => "padded",
            SecretForm::Unpadded => "unpadded",
        }
    }
}

impl fmt::Display for SecretForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An AES-256 key. `Debug` shows nothing of it; zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct AesKey([u8; 32]);

impl AesKey {
    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        AesKey(bytes)
    }

    /// The key's bytes (to compare with a test vector, or to encrypt in a simulator).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for AesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AesKey(<redacted>)")
    }
}

impl Drop for AesKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The AES keys one (user public key, applet key) pair can have encrypted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AesKeys {
    /// SHA-256 of the secret left-padded to the prime's length.
    pub padded: AesKey,
    /// SHA-256 of the minimal secret, only when it differs from `padded` (the secret began with a zero byte).
    pub unpadded: Option<AesKey>,
}

impl AesKeys {
    /// Both keys of a shared secret given left-padded to the prime's length. Zeroes `secret`.
    pub(crate) fn from_padded_secret(mut secret: Vec<u8>) -> Self {
        let padded = AesKey(Sha256::digest(&secret).into());
        let zeros = secret.iter().take_while(|&&b| b == 0).count();
        let unpadded = (zeros > 0).then(|| AesKey(Sha256::digest(&secret[zeros..]).into()));
        secret.zeroize();
        AesKeys { padded, unpadded }
    }

    /// The keys to try, the browser's first.
    pub fn candidates(&self) -> impl Iterator<Item = (SecretForm, &AesKey)> {
        let unpadded = self
            .unpadded
            .as_ref()
            .map(|key| (SecretForm::Unpadded, key));
        std::iter::once((SecretForm::Padded, &self.padded)).chain(unpadded)
    }

    /// The key of one form (`Unpadded` is the padded key when the two coincide).
    pub fn key(&self, form: SecretForm) -> &AesKey {
        match form {
            SecretForm::Padded => &self.padded,
            SecretForm::Unpadded => self.unpadded.as_ref().unwrap_or(&self.padded),
        }
    }
}
