//! AES-256-CBC with PKCS#7, as MindLogger encrypts answers. The stored text form is parsed by
//! `mindlogger_model::EncryptedPayload`; this module only turns blocks into bytes and back.

use aes::cipher::block_padding::{NoPadding, Pkcs7};
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use mindlogger_model::EncryptedPayload;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// Why a MindLogger ciphertext did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AesError {
    #[error("bad padding after decryption: wrong key or corrupt ciphertext")]
    Padding,
}

/// Decrypt a payload and remove its PKCS#7 padding.
pub fn decrypt_payload(key: &[u8; 32], payload: &EncryptedPayload) -> Result<Vec<u8>, AesError> {
    let mut plain = decrypt_blocks(key, payload);
    let len = pkcs7_unpadded_len(&plain).ok_or(AesError::Padding)?;
    plain.truncate(len);
    Ok(plain)
}

/// Encrypt as the MindLogger apps do (`createCipheriv('aes-256-cbc', key, iv)`, PKCS#7): for tests,
/// benchmarks and simulators.
pub fn encrypt_payload(key: &[u8; 32], iv: [u8; 16], plaintext: &[u8]) -> EncryptedPayload {
    let padded_len = (plaintext.len() / 16 + 1) * 16;
    let mut buffer = plaintext.to_vec();
    buffer.resize(padded_len, 0);
    let written = Aes256CbcEnc::new(key.into(), &iv.into())
        .encrypt_padded_mut::<Pkcs7>(&mut buffer, plaintext.len())
        .expect("the buffer has room for a whole padding block")
        .len();
    debug_assert_eq!(written, padded_len);
    EncryptedPayload::new(iv, buffer).expect("PKCS#7 output is whole blocks")
}

/// Every block decrypted, padding left in place: the first blocks of a payload whose last block is corrupt
/// still show what the key gives (CBC decrypts each block from itself and the one before).
pub(crate) fn decrypt_blocks(key: &[u8; 32], payload: &EncryptedPayload) -> Vec<u8> {
    let mut buffer = payload.ciphertext().to_vec();
    Aes256CbcDec::new(key.into(), payload.iv().into())
        .decrypt_padded_mut::<NoPadding>(&mut buffer)
        .expect("a payload is whole blocks");
    buffer
}

/// The length without PKCS#7 padding, `None` when the padding is not valid.
pub(crate) fn pkcs7_unpadded_len(plain: &[u8]) -> Option<usize> {
    let pad = usize::from(*plain.last()?);
    let valid = (1..=16).contains(&pad) && pad <= plain.len();
    (valid
        && plain[plain.len() - pad..]
            .iter()
            .all(|&b| usize::from(b) == pad))
    .then(|| plain.len() - pad)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    // Official vectors: ChildMindInstitute/mindlogger-admin `useDecryptedIdentifiers.test.ts` (mindlogger.md §9.1).
    const KEY: [u8; 32] = [
        0x4c, 0xa9, 0x42, 0x7c, 0x39, 0x79, 0xf1, 0x0a, 0xce, 0x51, 0x40, 0x9c, 0x79, 0xac, 0x0a,
        0xc9, 0xd4, 0xfd, 0x78, 0x49, 0x24, 0xcf, 0xca, 0xb5, 0xd6, 0xc8, 0xd1, 0xbe, 0x16, 0x3d,
        0xfc, 0xe8,
    ];

    fn payload(text: &str) -> EncryptedPayload {
        text.parse().unwrap()
    }

    #[test]
    fn decrypts_official_mindlogger_vectors() {
        let test_user =
            payload("09a0bbf7994d5cf408292d7fb35dce18:e8051724b3f422950c1b0eb9c7013c72");
        assert_eq!(decrypt_payload(&KEY, &test_user).unwrap(), b"Test User");
        let jane = payload("d0aa7af502fd96704585bee074786497:7f619511aaefa1bad1f5af6b3ef22d9b");
        assert_eq!(decrypt_payload(&KEY, &jane).unwrap(), b"Jane Doe");
    }

    #[test]
    fn a_wrong_key_fails_the_padding_check() {
        let mut wrong = KEY;
        wrong[0] ^= 1;
        let test_user =
            payload("09a0bbf7994d5cf408292d7fb35dce18:e8051724b3f422950c1b0eb9c7013c72");
        assert_eq!(decrypt_payload(&wrong, &test_user), Err(AesError::Padding));
    }

    #[test]
    fn padding_rules() {
        assert_eq!(
            pkcs7_unpadded_len(&[b'a'; 15].iter().copied().chain([1]).collect::<Vec<_>>()),
            Some(15)
        );
        assert_eq!(pkcs7_unpadded_len(&[16; 16]), Some(0));
        assert_eq!(pkcs7_unpadded_len(&[0; 16]), None);
        assert_eq!(pkcs7_unpadded_len(&[17; 16]), None);
        assert_eq!(pkcs7_unpadded_len(&[b'a', b'a', 3, 2]), None);
        assert_eq!(pkcs7_unpadded_len(&[]), None);
    }

    proptest! {
        #[test]
        fn encrypt_then_decrypt(key in any::<[u8; 32]>(), iv in any::<[u8; 16]>(),
                                plain in prop::collection::vec(any::<u8>(), 0..100)) {
            let payload = encrypt_payload(&key, iv, &plain);
            prop_assert_eq!(payload.ciphertext().len(), (plain.len() / 16 + 1) * 16);
            prop_assert_eq!(decrypt_payload(&key, &payload), Ok(plain));
        }
    }
}
