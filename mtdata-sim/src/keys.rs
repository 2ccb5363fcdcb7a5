//! The TEST-ONLY RSA key pair the simulators use, embedded in the binary, and the server-side field
//! encryption.
//!
//! The keys protect no real data (see `fixtures/keys/README.md`). [`ParticipantEncryptor`] does what the
//! MindTrails server did for `participantRSA`: RSA PKCS#1 v1.5 encryption of the decimal participant id under
//! an X.509 SubjectPublicKeyInfo DER public key, standard padded base64 without line breaks.

use std::io;

use base64::Engine as _;
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};

// The one copy of each key file stays in `fixtures/keys/`: mtdata-crypto, mtdata-decode and their tests
// read the same files there by path, and that folder's README records how they were made. Embedding them
// from there keeps a single copy and makes the simulator and `mtdata demo` independent of the source tree
// at run time (an installed binary carries the bytes).

/// Public key the simulated server encrypts `participantRSA` with: X.509 SubjectPublicKeyInfo DER.
pub const TEST_PUBLIC_DER: &[u8] = include_bytes!("../../fixtures/keys/test_public.der");

/// Private key matching [`TEST_PUBLIC_DER`], PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`, the format MTData read).
/// TEST-ONLY: it is public in this repository and protects nothing.
pub const TEST_PRIVATE_PKCS1_PEM: &[u8] =
    include_bytes!("../../fixtures/keys/test_private_pkcs1.pem");

/// Encrypts participant ids the way the MindTrails server filled `participantRSA`.
///
/// The public key is parsed once. Every call uses fresh random padding, so the same id gives a different
/// ciphertext each time (as on the real server). The padding randomness comes from a seeded generator so a
/// seeded synthetic study is reproducible byte for byte.
pub struct ParticipantEncryptor {
    key: RsaPublicKey,
    rng: StdRng,
}

impl ParticipantEncryptor {
    /// Loads an X.509 SubjectPublicKeyInfo DER public key.
    pub fn from_public_der(der: &[u8], seed: u64) -> io::Result<Self> {
        let key = RsaPublicKey::from_public_key_der(der).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("public key is not X.509 DER RSA: {e}"),
            )
        })?;
        Ok(Self {
            key,
            rng: StdRng::seed_from_u64(seed),
        })
    }

    /// Uses the embedded test key, [`TEST_PUBLIC_DER`].
    pub fn test_key(seed: u64) -> io::Result<Self> {
        Self::from_public_der(TEST_PUBLIC_DER, seed)
    }

    /// `base64(RSA-PKCS1v15-encrypt(decimal id))`, 344 characters for a 2048-bit key.
    pub fn encrypt_id(&mut self, participant_id: i64) -> String {
        self.encrypt_text(&participant_id.to_string())
    }

    /// `base64(RSA-PKCS1v15-encrypt(text))`: what a server would store for any plaintext (tests of
    /// plaintexts that are not participant ids).
    pub fn encrypt_text(&mut self, plain: &str) -> String {
        match self
            .key
            .encrypt(&mut self.rng, Pkcs1v15Encrypt, plain.as_bytes())
        {
            Ok(cipher) => base64::engine::general_purpose::STANDARD.encode(cipher),
            // A decimal id is far below the size limit of a 2048-bit key, so this cannot happen with the test
            // keys; an impossible failure gives the plain text, as the server did with encryption disabled.
            Err(_) => plain.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::DecodeRsaPrivateKey as _;

    #[test]
    fn encrypted_id_round_trips_and_is_randomized() {
        let mut enc = ParticipantEncryptor::test_key(7).unwrap();
        let a = enc.encrypt_id(532);
        let b = enc.encrypt_id(532);
        assert_eq!(a.len(), 344);
        assert!(a.ends_with("=="));
        assert_ne!(a, b, "padding must be random per row");
        let pem = std::str::from_utf8(TEST_PRIVATE_PKCS1_PEM).unwrap();
        let key = RsaPrivateKey::from_pkcs1_pem(pem).unwrap();
        for c in [a, b] {
            let bytes = base64::engine::general_purpose::STANDARD.decode(c).unwrap();
            let plain = key.decrypt(Pkcs1v15Encrypt, &bytes).unwrap();
            assert_eq!(plain, b"532");
        }
    }

    #[test]
    fn embedded_private_key_is_pkcs1_pem() {
        let pem = std::str::from_utf8(TEST_PRIVATE_PKCS1_PEM).unwrap();
        assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    }
}
