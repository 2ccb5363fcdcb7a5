//! Loading an RSA private key once, whatever its encoding, and decrypting with it.

use std::fmt;
use std::path::{Path, PathBuf};

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

use crate::backend::Backend;
use crate::error::{DecryptError, Error, KeyError, Result};

/// The encoding a private key was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyFormat {
    /// `-----BEGIN RSA PRIVATE KEY-----`: what MTData read.
    Pkcs1Pem,
    Pkcs1Der,
    /// `-----BEGIN PRIVATE KEY-----`: OpenSSL 3's default.
    Pkcs8Pem,
    /// What the MindTrails Java test used.
    Pkcs8Der,
}

impl fmt::Display for KeyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyFormat::Pkcs1Pem => "PKCS#1 PEM",
            KeyFormat::Pkcs1Der => "PKCS#1 DER",
            KeyFormat::Pkcs8Pem => "PKCS#8 PEM",
            KeyFormat::Pkcs8Der => "PKCS#8 DER",
        })
    }
}

/// An RSA private key, parsed and validated once, ready to decrypt on one [`Backend`].
///
/// `Send + Sync`: share it between threads by reference, or give each thread its own [`PrivateKey::fork`].
/// Its `Debug` output shows the format and size only.
pub struct PrivateKey {
    format: KeyFormat,
    rust: RsaPrivateKey,
    imp: Imp,
}

enum Imp {
    Rust,
    #[cfg(feature = "openssl")]
    OpenSsl(openssl::rsa::Rsa<openssl::pkey::Private>),
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("format", &self.format)
            .field("bits", &self.bits())
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Parse a key (PKCS#1 or PKCS#8, PEM or DER, detected) for [`Backend::DEFAULT`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_bytes_with(bytes, Backend::DEFAULT)
    }

    /// Parse a key for the given backend.
    pub fn from_bytes_with(bytes: &[u8], backend: Backend) -> Result<Self> {
        let (format, rust) = parse_private_key(bytes)?;
        Ok(Self::build(format, rust, backend)?)
    }

    /// Read and parse a key file for [`Backend::DEFAULT`]. Errors name the file, never its content.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, Backend::DEFAULT)
    }

    /// Read and parse a key file for the given backend.
    pub fn load_with(path: &Path, backend: Backend) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| Error::ReadKey {
            path: path.to_owned(),
            source,
        })?;
        let parsed = parse_private_key(&bytes);
        // The file content is a secret: do not leave a copy behind in freed memory.
        zeroize_vec(bytes);
        let (format, rust) = parsed.map_err(|source| Error::KeyFile {
            path: path.to_owned(),
            source,
        })?;
        Self::build(format, rust, backend).map_err(|source| Error::KeyFile {
            path: path.to_owned(),
            source,
        })
    }

    fn build(format: KeyFormat, rust: RsaPrivateKey, backend: Backend) -> Result<Self, KeyError> {
        let imp = match backend {
            Backend::RustCrypto => Imp::Rust,
            Backend::OpenSsl => openssl_imp(&rust)?,
        };
        Ok(PrivateKey { format, rust, imp })
    }

    /// The same key on another backend (benchmarks, cross-checks).
    pub fn with_backend(&self, backend: Backend) -> Result<Self> {
        Ok(Self::build(self.format, self.rust.clone(), backend)?)
    }

    /// An independent copy for another thread. With OpenSSL each copy has its own blinding state, so
    /// threads do not contend on one lock.
    pub fn fork(&self) -> Self {
        match self.with_backend(self.backend()) {
            Ok(key) => key,
            // Rebuilding a key that was already accepted cannot fail; fall back to the portable backend.
            Err(_) => PrivateKey {
                format: self.format,
                rust: self.rust.clone(),
                imp: Imp::Rust,
            },
        }
    }

    /// The encoding the key was read from.
    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// Modulus size in bits (2048 for MindTrails).
    pub fn bits(&self) -> usize {
        self.size() * 8
    }

    /// Modulus size in bytes: the length of every ciphertext for this key.
    pub fn size(&self) -> usize {
        self.rust.size()
    }

    /// The backend this key decrypts on.
    pub fn backend(&self) -> Backend {
        match self.imp {
            Imp::Rust => Backend::RustCrypto,
            #[cfg(feature = "openssl")]
            Imp::OpenSsl(_) => Backend::OpenSsl,
        }
    }

    /// RSA PKCS#1 v1.5 (type 2) decryption of raw ciphertext bytes.
    ///
    /// Never applies OpenSSL's implicit rejection (3.2+): a wrong key or a corrupt ciphertext is an error,
    /// not pseudo-random output. Callers that know the plaintext's shape should still check it.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError> {
        if ciphertext.len() != self.size() {
            return Err(DecryptError::WrongLength {
                len: ciphertext.len(),
                expected: self.size(),
            });
        }
        match &self.imp {
            Imp::Rust => self
                .rust
                .decrypt_blinded(&mut rsa::rand_core::OsRng, Pkcs1v15Encrypt, ciphertext)
                .map_err(|_| DecryptError::Rejected),
            #[cfg(feature = "openssl")]
            Imp::OpenSsl(rsa) => openssl_decrypt(rsa, ciphertext),
        }
    }
}

#[cfg(feature = "openssl")]
fn openssl_imp(rust: &RsaPrivateKey) -> Result<Imp, KeyError> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let backend_error = |e: openssl::error::ErrorStack| KeyError::Backend {
        backend: "openssl",
        detail: e.to_string(),
    };
    let der = rust.to_pkcs1_der().map_err(|e| KeyError::Invalid {
        detail: e.to_string(),
    })?;
    let rsa = openssl::rsa::Rsa::private_key_from_der(der.as_bytes()).map_err(backend_error)?;
    Ok(Imp::OpenSsl(rsa))
}

#[cfg(not(feature = "openssl"))]
fn openssl_imp(_rust: &RsaPrivateKey) -> Result<Imp, KeyError> {
    Err(KeyError::BackendUnavailable {
        backend: "openssl",
        feature: "openssl",
    })
}

/// OpenSSL 3.2 added implicit rejection to `RSA_PKCS1_PADDING`; this padding mode turns it off. Some
/// distributions backported implicit rejection (and this mode) to older versions, so the mode is always
/// asked for, whatever the version number says.
#[cfg(feature = "openssl")]
const RSA_PKCS1_NO_IMPLICIT_REJECT_PADDING: i32 = 8;

/// OpenSSL's reason code for a padding mode it does not know.
#[cfg(feature = "openssl")]
const RSA_R_UNKNOWN_PADDING_TYPE: i32 = 118;

/// Set once this OpenSSL turned out not to know the explicit-rejection mode.
#[cfg(feature = "openssl")]
static EXPLICIT_MODE_UNKNOWN: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

#[cfg(feature = "openssl")]
fn openssl_decrypt(
    rsa: &openssl::rsa::Rsa<openssl::pkey::Private>,
    ciphertext: &[u8],
) -> Result<Vec<u8>, DecryptError> {
    use std::sync::atomic::Ordering;
    let mut out = vec![0u8; ciphertext.len()];
    if !EXPLICIT_MODE_UNKNOWN.load(Ordering::Relaxed) {
        let explicit = openssl::rsa::Padding::from_raw(RSA_PKCS1_NO_IMPLICIT_REJECT_PADDING);
        match rsa.private_decrypt(ciphertext, &mut out, explicit) {
            Ok(len) => {
                out.truncate(len);
                return Ok(out);
            }
            Err(stack) if !is_unknown_padding(&stack) => return Err(DecryptError::Rejected),
            // This OpenSSL predates the mode, hence implicit rejection: plain PKCS#1 rejects explicitly.
            Err(_) => EXPLICIT_MODE_UNKNOWN.store(true, Ordering::Relaxed),
        }
    }
    match rsa.private_decrypt(ciphertext, &mut out, openssl::rsa::Padding::PKCS1) {
        Ok(len) => {
            out.truncate(len);
            Ok(out)
        }
        Err(_) => Err(DecryptError::Rejected),
    }
}

/// Whether OpenSSL refused a padding mode because it does not know it (rather than a ciphertext).
#[cfg(feature = "openssl")]
fn is_unknown_padding(stack: &openssl::error::ErrorStack) -> bool {
    stack
        .errors()
        .iter()
        .any(|e| e.reason_code() == RSA_R_UNKNOWN_PADDING_TYPE)
}

fn zeroize_vec(mut bytes: Vec<u8>) {
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// Detect the encoding and parse. PEM is recognised by its `-----BEGIN` line, anything else is tried as DER.
fn parse_private_key(bytes: &[u8]) -> Result<(KeyFormat, RsaPrivateKey), KeyError> {
    let Some(begin) = find(bytes, b"-----BEGIN ") else {
        return parse_der(bytes, false);
    };
    let text = std::str::from_utf8(&bytes[begin..]).map_err(|_| KeyError::Malformed {
        detail: "PEM text is not ASCII".into(),
    })?;
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(KeyError::Encrypted);
    }
    // The PEM parser is strict about line endings; accept CRLF files written on Windows.
    let text = text.replace("\r\n", "\n");
    let (label, der) =
        pkcs8::der::pem::decode_vec(text.trim().as_bytes()).map_err(|e| KeyError::Malformed {
            detail: format!("bad PEM: {e}"),
        })?;
    let parsed = match label {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_der(&der)
            .map(|k| (KeyFormat::Pkcs1Pem, k))
            .map_err(|e| KeyError::Malformed {
                detail: format!("PKCS#1: {e}"),
            }),
        "PRIVATE KEY" => parse_der(&der, true),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
        "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => Err(KeyError::PublicKey),
        "OPENSSH PRIVATE KEY" => Err(KeyError::Malformed {
            detail: "OpenSSH format; convert with `ssh-keygen -p -m PEM -f KEY`".into(),
        }),
        other => Err(KeyError::Malformed {
            detail: format!("unexpected PEM label {other:?}"),
        }),
    };
    zeroize_vec(der);
    parsed
}

fn parse_der(der: &[u8], from_pem: bool) -> Result<(KeyFormat, RsaPrivateKey), KeyError> {
    use pkcs8::der::Decode;
    let pkcs8_format = if from_pem {
        KeyFormat::Pkcs8Pem
    } else {
        KeyFormat::Pkcs8Der
    };
    let pkcs8_error = match pkcs8::PrivateKeyInfo::from_der(der) {
        Ok(info) => {
            let oid = info.algorithm.oid.to_string();
            if oid != RSA_ENCRYPTION_OID {
                return Err(KeyError::NotRsa { algorithm: oid });
            }
            return RsaPrivateKey::try_from(info)
                .map(|k| (pkcs8_format, k))
                .map_err(|e| KeyError::Invalid {
                    detail: e.to_string(),
                });
        }
        Err(e) => e,
    };
    if from_pem {
        return Err(KeyError::Malformed {
            detail: format!("PKCS#8: {pkcs8_error}"),
        });
    }
    if rsa::pkcs1::RsaPrivateKey::from_der(der).is_ok() {
        return RsaPrivateKey::from_pkcs1_der(der)
            .map(|k| (KeyFormat::Pkcs1Der, k))
            .map_err(|e| KeyError::Invalid {
                detail: e.to_string(),
            });
    }
    if looks_like_encrypted_pkcs8(der) {
        return Err(KeyError::Encrypted);
    }
    if pkcs8::SubjectPublicKeyInfoRef::from_der(der).is_ok()
        || rsa::RsaPublicKey::from_pkcs1_der(der).is_ok()
    {
        return Err(KeyError::PublicKey);
    }
    Err(KeyError::Malformed {
        detail: if der.first() == Some(&0x30) {
            format!("DER: {pkcs8_error}")
        } else {
            "neither PEM text nor DER".into()
        },
    })
}

/// `EncryptedPrivateKeyInfo` starts with a PKCS#5 (PBES1/PBES2) or PKCS#12 PBE algorithm identifier.
fn looks_like_encrypted_pkcs8(der: &[u8]) -> bool {
    const PKCS5: &[u8] = &[0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x05];
    const PKCS12_PBE: &[u8] = &[
        0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x0C, 0x01,
    ];
    let head = &der[..der.len().min(32)];
    find(head, PKCS5).is_some() || find(head, PKCS12_PBE).is_some()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A private key file that other users of the machine can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPermissionWarning {
    pub path: PathBuf,
    /// The permission bits, e.g. `0o644`.
    pub mode: u32,
}

impl fmt::Display for KeyPermissionWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "private key file {} can be read by other users (mode {:04o}); run `chmod 600 {}`",
            self.path.display(),
            self.mode,
            self.path.display()
        )
    }
}

/// Check that only the owner can read a key file (mode `0600` or stricter). Always `Ok(None)` off Unix.
pub fn check_key_file_permissions(path: &Path) -> Result<Option<KeyPermissionWarning>> {
    let meta = std::fs::metadata(path).map_err(|source| Error::ReadKey {
        path: path.to_owned(),
        source,
    })?;
    Ok(permission_warning(path, &meta))
}

#[cfg(unix)]
fn permission_warning(path: &Path, meta: &std::fs::Metadata) -> Option<KeyPermissionWarning> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    (mode & 0o077 != 0).then(|| KeyPermissionWarning {
        path: path.to_owned(),
        mode,
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path, _meta: &std::fs::Metadata) -> Option<KeyPermissionWarning> {
    None
}

#[cfg(all(test, feature = "openssl"))]
mod openssl_tests {
    use super::*;

    const PEM: &[u8] = include_bytes!("../../fixtures/keys/test_private_pkcs1.pem");

    #[test]
    fn only_a_padding_mode_openssl_does_not_know_is_taken_for_one() {
        let rsa = openssl::rsa::Rsa::private_key_from_pem(PEM).unwrap();
        let garbage = vec![7u8; rsa.size() as usize];
        let mut out = vec![0u8; rsa.size() as usize];
        let unknown = rsa
            .private_decrypt(&garbage, &mut out, openssl::rsa::Padding::from_raw(99))
            .unwrap_err();
        assert!(is_unknown_padding(&unknown), "{unknown}");
        // A ciphertext refused under a known mode is a rejection, never a reason to fall back.
        let refused = rsa
            .private_decrypt(&garbage, &mut out, openssl::rsa::Padding::PKCS1_OAEP)
            .unwrap_err();
        assert!(!is_unknown_padding(&refused), "{refused}");
    }

    #[test]
    fn decrypts_and_rejects_on_this_openssl_whatever_its_version() {
        let rsa = openssl::rsa::Rsa::private_key_from_pem(PEM).unwrap();
        let mut ct = vec![0u8; rsa.size() as usize];
        let len = rsa
            .public_encrypt(b"4242", &mut ct, openssl::rsa::Padding::PKCS1)
            .unwrap();
        ct.truncate(len);
        assert_eq!(openssl_decrypt(&rsa, &ct).unwrap(), b"4242");
        // A damaged ciphertext is an error with the explicit mode and with the fallback alike.
        ct[10] ^= 0x55;
        assert!(openssl_decrypt(&rsa, &ct).is_err());
        let explicit_known = !EXPLICIT_MODE_UNKNOWN.load(std::sync::atomic::Ordering::Relaxed);
        // OpenSSL 3.2 and later know the mode; a library that does not know it predates implicit
        // rejection. (3.0, installed here, does not know it.)
        if openssl::version::number() >= 0x3020_0000 {
            assert!(explicit_known);
        }
    }
}
