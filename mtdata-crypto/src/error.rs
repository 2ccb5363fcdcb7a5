//! Errors of key loading. Decrypting one field never errors: it yields a [`crate::FieldOutcome`].

use std::path::PathBuf;

/// What is wrong with a private key, wherever it came from.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error(
        "the private key is protected by a passphrase; write an unencrypted copy readable only by you \
         (`openssl pkey -in KEY -out KEY.plain.pem && chmod 600 KEY.plain.pem`) and use that"
    )]
    Encrypted,
    #[error("this is a public key; give the private key of the pair")]
    PublicKey,
    #[error("the key is not RSA ({algorithm}); MindTrails encrypted with RSA-2048")]
    NotRsa { algorithm: String },
    #[error(
        "not an RSA private key in PKCS#1 or PKCS#8, PEM or DER ({detail}); expected a file starting \
         with `-----BEGIN RSA PRIVATE KEY-----` or `-----BEGIN PRIVATE KEY-----`, or its DER form"
    )]
    Malformed { detail: String },
    #[error("the RSA key is invalid ({detail})")]
    Invalid { detail: String },
    #[error("the {backend} backend rejected the key ({detail})")]
    Backend {
        backend: &'static str,
        detail: String,
    },
    #[error("the {backend} backend is not built in (cargo feature `{feature}` of mtdata-crypto)")]
    BackendUnavailable {
        backend: &'static str,
        feature: &'static str,
    },
}

/// The error type of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("cannot read private key file {path}")]
    ReadKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("private key file {path}")]
    KeyFile {
        path: PathBuf,
        #[source]
        source: KeyError,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    AppletKey(#[from] AppletKeyError),
}

/// Why a MindLogger applet key could not be made. Never carries the password or any key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppletKeyError {
    #[error(
        "wrong applet password: the key derived from it and the applet's account id does not match the \
         applet's public key; check the password (for an applet whose owner changed, older answers need the \
         previous owner's password and account id)"
    )]
    WrongPassword,
    #[error(
        "the applet password is right, but the applet key was made by a tool other than the MindLogger admin \
         panel: it matches only when the password's digest is decoded as standard UTF-8, not as the browser \
         does; derive the private key that tool's way and use it as the applet's private key"
    )]
    NonBrowserKey,
    #[error("the applet private key does not match the applet's public key")]
    PrivateKeyMismatch,
    #[error("the applet private key is empty")]
    EmptyPrivateKey,
    #[error(
        "the applet prime has {bits} bits; MindLogger primes have 1024 and larger ones are not supported"
    )]
    PrimeTooLarge { bits: usize },
    #[error("the applet prime is not a large odd number; check the applet's `prime`")]
    BadPrime,
    #[error("the applet public key is not between 1 and the prime; check the applet's `publicKey`")]
    PublicKeyOutOfRange,
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a ciphertext did not decrypt. Deliberately vague beyond the length: PKCS#1 v1.5 padding errors must not
/// be told apart (Bleichenbacher), and nothing here carries plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecryptError {
    #[error("ciphertext is {len} bytes but the key takes {expected}")]
    WrongLength { len: usize, expected: usize },
    #[error("decryption failed: wrong key or corrupt ciphertext")]
    Rejected,
}
