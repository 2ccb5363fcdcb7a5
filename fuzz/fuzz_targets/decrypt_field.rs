//! The `participantRSA` field decoder (`PrivateKey::decrypt_field`: trimming, base64, RSA PKCS#1 v1.5, the
//! digits check) with the test key, on both backends:
//! - any text: never panics, both backends give the same outcome, a decrypted value is an id (digits);
//! - any 256 bytes as a ciphertext (base64, maybe wrapped): the same on both backends;
//! - a real encryption of any plaintext: decrypted back exactly when the plaintext is a run of digits.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use mtdata_crypto::{Backend, FieldOutcome, PrivateKey};
use rand::SeedableRng as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};

/// TEST-ONLY keys of the repository (`fixtures/keys/README.md`).
const PRIVATE_PEM: &[u8] = include_bytes!("../../fixtures/keys/test_private_pkcs1.pem");
const PUBLIC_DER: &[u8] = include_bytes!("../../fixtures/keys/test_public.der");

struct Keys {
    rust: PrivateKey,
    openssl: PrivateKey,
    public: RsaPublicKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rust: PrivateKey::from_bytes_with(PRIVATE_PEM, Backend::RustCrypto).unwrap(),
        openssl: PrivateKey::from_bytes_with(PRIVATE_PEM, Backend::OpenSsl).unwrap(),
        public: RsaPublicKey::from_public_key_der(PUBLIC_DER).unwrap(),
    })
}

fn is_id(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Both backends agree, and what a field decrypts to is an id.
fn outcome(field: &str) -> FieldOutcome {
    let keys = keys();
    let outcome = keys.rust.decrypt_field(field);
    assert_eq!(
        outcome,
        keys.openssl.decrypt_field(field),
        "the backends disagree"
    );
    match &outcome {
        FieldOutcome::Decrypted(id) | FieldOutcome::NotEncrypted(id) => assert!(is_id(id)),
        FieldOutcome::Empty => assert!(field.trim().is_empty()),
        _ => {}
    }
    outcome
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            let field = String::from_utf8_lossy(data);
            let outcome = outcome(&field);
            let trimmed = field.trim();
            if is_id(trimmed) && trimmed.len() != 344 {
                assert_eq!(outcome, FieldOutcome::NotEncrypted(trimmed.to_owned()));
            }
        }
        1 => {
            let mut ciphertext = data.to_vec();
            ciphertext.resize(256, mode);
            let mut field = base64::engine::general_purpose::STANDARD.encode(&ciphertext);
            if mode & 0x80 != 0 {
                field = field
                    .as_bytes()
                    .chunks(76)
                    .map(|line| std::str::from_utf8(line).unwrap())
                    .collect::<Vec<_>>()
                    .join("\r\n");
            }
            outcome(&field);
        }
        _ => {
            // Plaintexts up to the key's limit (256 - 11 bytes), with padding from a seeded generator.
            let plain = &data[..data.len().min(245)];
            let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(mode));
            let ciphertext = keys()
                .public
                .encrypt(&mut rng, Pkcs1v15Encrypt, plain)
                .unwrap();
            let field = base64::engine::general_purpose::STANDARD.encode(ciphertext);
            let outcome = outcome(&field);
            match std::str::from_utf8(plain) {
                Ok(text) if is_id(text) => {
                    assert_eq!(outcome, FieldOutcome::Decrypted(text.to_owned()))
                }
                _ => assert_eq!(outcome, FieldOutcome::WrongKeyOrCorrupt),
            }
        }
    }
});
