//! An applet's private key, derived from its password the way the MindLogger admin panel does (§4.2).

use std::fmt;

use mindlogger_model::AppletEncryption;
use sha2::{Digest, Sha512};
use zeroize::Zeroize;

use super::group::{Exponent, Group, strip_leading_zeros};
use super::lossy::{js_lossy, standard_lossy};
use super::secret::AesKeys;
use crate::backend::Backend;
use crate::error::{AppletKeyError, Result};

/// An applet's private key, checked against its public key, ready to compute shared secrets.
///
/// Holds the private exponent reduced modulo `p - 1` (the same powers for every public value, in half the
/// time). `Debug` shows the prime's size and the backend only; the exponent is zeroed when dropped.
/// `Send + Sync`: share it by reference.
#[derive(Clone)]
pub struct AppletKey {
    group: Group,
    exponent: Exponent,
}

impl fmt::Debug for AppletKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppletKey")
            .field("prime_bits", &(self.group.prime_len() * 8))
            .field("backend", &self.group.backend())
            .finish_non_exhaustive()
    }
}

impl AppletKey {
    /// Derive the key from the applet password on [`Backend::DEFAULT`]:
    /// `int(js_lossy(sha512(password)) ++ js_lossy(sha512(accountId)))`, then check `base^key mod prime`
    /// against the applet's public key. A mismatch is [`AppletKeyError::WrongPassword`], or
    /// [`AppletKeyError::NonBrowserKey`] when the standard UTF-8 decoding would have matched.
    pub fn derive(encryption: &AppletEncryption, password: &str) -> Result<Self> {
        Self::derive_with(encryption, password, Backend::DEFAULT)
    }

    /// [`AppletKey::derive`] on a chosen backend.
    pub fn derive_with(
        encryption: &AppletEncryption,
        password: &str,
        backend: Backend,
    ) -> Result<Self> {
        let group = Group::new(&encryption.prime, backend)?;
        check_public_key(&group, &encryption.public_key)?;
        let mut bytes = browser_private_key(password, &encryption.account_id);
        let key = AppletKey {
            exponent: group.reduce_exponent(&bytes),
            group,
        };
        bytes.zeroize();
        if key.matches(encryption) {
            return Ok(key);
        }
        let mut standard = standard_private_key(password, &encryption.account_id);
        let standard_key = AppletKey {
            exponent: key.group.reduce_exponent(&standard),
            group: key.group,
        };
        standard.zeroize();
        Err(match standard_key.matches(encryption) {
            true => AppletKeyError::NonBrowserKey,
            false => AppletKeyError::WrongPassword,
        }
        .into())
    }

    /// A key from the private key's bytes (the admin panel's saved `Array.from(getPrivateKey())`, or a key
    /// derived elsewhere), checked against the applet's public key.
    pub fn from_private_key(
        encryption: &AppletEncryption,
        private_key: &[u8],
        backend: Backend,
    ) -> Result<Self> {
        if private_key.iter().all(|&b| b == 0) {
            return Err(AppletKeyError::EmptyPrivateKey.into());
        }
        let group = Group::new(&encryption.prime, backend)?;
        check_public_key(&group, &encryption.public_key)?;
        let key = AppletKey {
            exponent: group.reduce_exponent(private_key),
            group,
        };
        match key.matches(encryption) {
            true => Ok(key),
            false => Err(AppletKeyError::PrivateKeyMismatch.into()),
        }
    }

    /// A key from a password and account id in the group of `prime`, derived the browser's way and **not
    /// checked**: for data under a previous owner's key, whose public key the server no longer holds (a v1
    /// ownership transfer drops it, reference §4.2). A wrong password gives a key that opens nothing: its
    /// answers come out [`super::AnswerStatus::WrongKey`].
    pub fn derive_unchecked(
        prime: &[u8],
        password: &str,
        account_id: &str,
        backend: Backend,
    ) -> Result<Self> {
        let group = Group::new(prime, backend)?;
        let mut bytes = browser_private_key(password, account_id);
        let key = AppletKey {
            exponent: group.reduce_exponent(&bytes),
            group,
        };
        bytes.zeroize();
        Ok(key)
    }

    /// [`AppletKey::derive_unchecked`] in each of MindLogger's ten primes ([`super::mindlogger_primes`]), when
    /// not even the prime of the old key is known. Put these after the checked keys of a
    /// [`super::KeyRing`]: each costs one exponentiation per respondent whose answer the keys before it did
    /// not open.
    pub fn derive_for_every_prime(
        password: &str,
        account_id: &str,
        backend: Backend,
    ) -> Result<Vec<Self>> {
        super::mindlogger_primes()
            .iter()
            .map(|prime| Self::derive_unchecked(prime, password, account_id, backend))
            .collect()
    }

    /// Whether `base^key mod prime` is the applet's public key.
    fn matches(&self, encryption: &AppletEncryption) -> bool {
        let public = self.group.pow(&encryption.base, &self.exponent);
        strip_leading_zeros(&public) == strip_leading_zeros(&encryption.public_key)
    }

    /// The AES keys of the answers made against one public value (a respondent's key, or a reviewer id's
    /// bytes): one modular exponentiation.
    pub fn aes_keys(&self, user_public_key: &[u8]) -> AesKeys {
        AesKeys::from_padded_secret(self.group.pow(user_public_key, &self.exponent))
    }

    /// The backend this key computes on.
    pub fn backend(&self) -> Backend {
        self.group.backend()
    }
}

/// The public key the admin panel stores when an applet password is set (`base^key mod prime`, minimal
/// big-endian), for simulators and tests that make applets: the same derivation [`AppletKey::derive`]
/// checks against.
pub fn applet_public_key(
    prime: &[u8],
    base: &[u8],
    password: &str,
    account_id: &str,
    backend: Backend,
) -> Result<Vec<u8>> {
    let group = Group::new(prime, backend)?;
    let mut bytes = browser_private_key(password, account_id);
    let exponent = group.reduce_exponent(&bytes);
    bytes.zeroize();
    Ok(strip_leading_zeros(&group.pow(base, &exponent)).to_vec())
}

/// The admin panel's private key bytes: `Buffer.from(`${sha512(password)}${sha512(accountId)}`)`.
pub(crate) fn browser_private_key(password: &str, account_id: &str) -> Vec<u8> {
    let mut key = js_lossy(&Sha512::digest(password.as_bytes()));
    key.extend(js_lossy(&Sha512::digest(account_id.as_bytes())));
    key
}

/// What a tool with a standard UTF-8 decoder would derive (the admin mock's `mockedPrivateKey2`).
fn standard_private_key(password: &str, account_id: &str) -> Vec<u8> {
    let mut key = standard_lossy(&Sha512::digest(password.as_bytes()));
    key.extend(standard_lossy(&Sha512::digest(account_id.as_bytes())));
    key
}

/// The public key must be in 1..p for any password to match it; say so rather than "wrong password".
fn check_public_key(group: &Group, public_key: &[u8]) -> Result<(), AppletKeyError> {
    let public_key = strip_leading_zeros(public_key);
    let below_prime = (public_key.len(), public_key) < (group.prime_len(), group.prime());
    match !public_key.is_empty() && below_prime {
        true => Ok(()),
        false => Err(AppletKeyError::PublicKeyOutOfRange),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::mindlogger::official;

    const PASSWORD: &str = "123456!Qwe";

    #[test]
    fn derives_the_admin_mocks_private_key_byte_for_byte() {
        let encryption = official::encryption();
        let browser = browser_private_key(PASSWORD, &encryption.account_id);
        assert_eq!(browser.len(), 230);
        assert_eq!(browser, official::bytes("/admin_mock/private_key"));
        // The mock's second key is the standard decoding's, and it does not open the applet.
        let standard = standard_private_key(PASSWORD, &encryption.account_id);
        assert_eq!(
            standard,
            official::bytes("/admin_mock/standard_lossy_private_key")
        );
        for backend in Backend::available() {
            let error = AppletKey::from_private_key(&encryption, &standard, backend).unwrap_err();
            assert!(
                matches!(error, Error::AppletKey(AppletKeyError::PrivateKeyMismatch)),
                "{error}"
            );
            assert!(AppletKey::from_private_key(&encryption, &browser, backend).is_ok());
        }
    }

    #[test]
    fn the_password_is_checked_locally_on_every_backend() {
        let encryption = official::encryption();
        for backend in Backend::available() {
            let key = AppletKey::derive_with(&encryption, PASSWORD, backend).unwrap();
            assert_eq!(key.backend(), backend);
            let wrong = AppletKey::derive_with(&encryption, "123456!qwe", backend).unwrap_err();
            assert!(
                matches!(wrong, Error::AppletKey(AppletKeyError::WrongPassword)),
                "{wrong}"
            );
            let mut other_account = encryption.clone();
            other_account.account_id.push('x');
            let wrong = AppletKey::derive_with(&other_account, PASSWORD, backend).unwrap_err();
            assert!(
                matches!(wrong, Error::AppletKey(AppletKeyError::WrongPassword)),
                "{wrong}"
            );
        }
    }

    #[test]
    fn a_key_made_with_the_standard_decoding_is_named() {
        let mut encryption = official::encryption();
        let standard = official::bytes("/admin_mock/standard_lossy_private_key");
        let group = Group::new(&encryption.prime, Backend::RustCrypto).unwrap();
        encryption.public_key = group.pow(&[2], &group.reduce_exponent(&standard));
        let error = AppletKey::derive_with(&encryption, PASSWORD, Backend::RustCrypto).unwrap_err();
        assert!(
            matches!(error, Error::AppletKey(AppletKeyError::NonBrowserKey)),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("other than the MindLogger admin panel")
        );
    }

    #[test]
    fn public_keys_outside_the_group_are_named() {
        let mut encryption = official::encryption();
        encryption.public_key = encryption.prime.clone();
        let error = AppletKey::derive(&encryption, PASSWORD).unwrap_err();
        assert!(
            matches!(error, Error::AppletKey(AppletKeyError::PublicKeyOutOfRange)),
            "{error}"
        );
        let error =
            AppletKey::from_private_key(&official::encryption(), &[0, 0], Backend::RustCrypto);
        assert!(matches!(
            error,
            Err(Error::AppletKey(AppletKeyError::EmptyPrivateKey))
        ));
    }

    #[test]
    fn a_made_applet_opens_with_its_password() {
        let mut encryption = official::encryption();
        encryption.account_id = "5f0e35523477de8b4a528dd0".into();
        for backend in Backend::available() {
            encryption.public_key = applet_public_key(
                &encryption.prime,
                &[2],
                "new password",
                &encryption.account_id,
                backend,
            )
            .unwrap();
            assert!(AppletKey::derive_with(&encryption, "new password", backend).is_ok());
            assert!(AppletKey::derive_with(&encryption, PASSWORD, backend).is_err());
        }
        let official = official::encryption();
        let made = applet_public_key(
            &official.prime,
            &official.base,
            PASSWORD,
            &official.account_id,
            Backend::RustCrypto,
        )
        .unwrap();
        assert_eq!(made, official.public_key);
    }

    #[test]
    fn an_unchecked_key_in_the_right_prime_is_the_checked_key() {
        let encryption = official::encryption();
        let checked = AppletKey::derive(&encryption, PASSWORD).unwrap();
        let every =
            AppletKey::derive_for_every_prime(PASSWORD, &encryption.account_id, Backend::DEFAULT)
                .unwrap();
        assert_eq!(every.len(), 10);
        assert!(every[8].matches(&encryption), "prime #8 is the mock's");
        let user = official::bytes("/admin_mock/identifiers/0/userPublicKey");
        assert_eq!(every[8].aes_keys(&user), checked.aes_keys(&user));
        assert!(
            every
                .iter()
                .enumerate()
                .all(|(i, key)| i == 8 || !key.matches(&encryption))
        );
    }

    #[test]
    fn debug_shows_nothing_secret() {
        let key = AppletKey::derive(&official::encryption(), PASSWORD).unwrap();
        let shown = format!("{key:?}");
        assert!(
            shown.starts_with("AppletKey { prime_bits: 1024, backend: "),
            "{shown}"
        );
        assert!(
            !shown
                .chars()
                .any(|c| c.is_ascii_digit() && !"1024".contains(c)),
            "{shown}"
        );
    }
}
