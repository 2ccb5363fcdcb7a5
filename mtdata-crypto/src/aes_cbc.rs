//! AES-256-CBC with PKCS#7, as MindLogger encrypts answers: `"<iv hex>:<ciphertext hex>"`.

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Why a MindLogger ciphertext did not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AesError {
    #[error("expected `<iv hex>:<ciphertext hex>`")]
    Format,
    #[error("the IV must be 16 bytes, got {0}")]
    IvLength(usize),
    #[error("the ciphertext is not a whole number of 16-byte blocks ({0} bytes)")]
    CiphertextLength(usize),
    #[error("bad padding after decryption: wrong key or corrupt ciphertext")]
    Padding,
}

/// Decrypt AES-256-CBC with PKCS#7 padding.
pub fn decrypt_aes256_cbc(
    key: &[u8; 32],
    iv: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, AesError> {
    let iv: &[u8; 16] = iv.try_into().map_err(|_| AesError::IvLength(iv.len()))?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(AesError::CiphertextLength(ciphertext.len()));
    }
    let mut buffer = ciphertext.to_vec();
    let len = Aes256CbcDec::new(key.into(), iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut buffer)
        .map_err(|_| AesError::Padding)?
        .len();
    buffer.truncate(len);
    Ok(buffer)
}

/// Decrypt MindLogger's text form `"<iv hex>:<ciphertext hex>"` (everything after the first `:` is ciphertext,
/// re-joined with `:` as the admin app does).
pub fn decrypt_mindlogger_text(key: &[u8; 32], text: &str) -> Result<Vec<u8>, AesError> {
    let (iv_hex, rest) = text.trim().split_once(':').ok_or(AesError::Format)?;
    let iv = hex(iv_hex).ok_or(AesError::Format)?;
    let ciphertext = hex(&rest.replace(':', "")).ok_or(AesError::Format)?;
    decrypt_aes256_cbc(key, &iv, &ciphertext)
}

fn hex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Official vectors: ChildMindInstitute/mindlogger-admin `useDecryptedIdentifiers.test.ts` (mindlogger.md §9.1).
    const KEY_HEX: &str = "4ca9427c3979f10ace51409c79ac0ac9d4fd784924cfcab5d6c8d1be163dfce8";

    fn key() -> [u8; 32] {
        hex(KEY_HEX).unwrap().try_into().unwrap()
    }

    #[test]
    fn decrypts_official_mindlogger_vectors() {
        let key = key();
        assert_eq!(
            decrypt_mindlogger_text(
                &key,
                "09a0bbf7994d5cf408292d7fb35dce18:e8051724b3f422950c1b0eb9c7013c72"
            )
            .unwrap(),
            b"Test User"
        );
        assert_eq!(
            decrypt_mindlogger_text(
                &key,
                "d0aa7af502fd96704585bee074786497:7f619511aaefa1bad1f5af6b3ef22d9b"
            )
            .unwrap(),
            b"Jane Doe"
        );
    }

    #[test]
    fn rejects_wrong_key_and_bad_text() {
        let mut wrong = key();
        wrong[0] ^= 1;
        assert_eq!(
            decrypt_mindlogger_text(
                &wrong,
                "09a0bbf7994d5cf408292d7fb35dce18:e8051724b3f422950c1b0eb9c7013c72"
            ),
            Err(AesError::Padding)
        );
        assert_eq!(
            decrypt_mindlogger_text(&key(), "no colon"),
            Err(AesError::Format)
        );
        assert_eq!(
            decrypt_mindlogger_text(&key(), "0011:e8051724b3f422950c1b0eb9c7013c72"),
            Err(AesError::IvLength(2))
        );
        assert_eq!(
            decrypt_mindlogger_text(&key(), "09a0bbf7994d5cf408292d7fb35dce18:e805"),
            Err(AesError::CiphertextLength(2))
        );
    }
}
