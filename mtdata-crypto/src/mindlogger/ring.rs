//! Several applet keys and a cache of the AES keys derived with them: one modular exponentiation per
//! (user public key, applet key), shared by every thread.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use mindlogger_model::{EncryptedPayload, StoredValue, UserPublicKey};

use super::applet_key::AppletKey;
use super::outcome::{AnswerOutcome, KeyUsed, MissingKey, looks_like_json_start, looks_like_text};
use super::secret::AesKeys;
use crate::aes_cbc::{decrypt_blocks, pkcs7_unpadded_len};

/// One slot per ring key, filled on first use.
type Slots = Arc<[OnceLock<AesKeys>]>;

/// The applet keys an applet's answers may be under, tried in order, with a cache of AES keys.
///
/// Applets whose owner changed hold older answers under the previous owner's password and account id: give
/// every key you have. `Sync`: decrypt from many threads through `&self` (e.g. a rayon `par_iter` over the
/// answers); each (user public key, applet key) pair is exponentiated once, whichever thread gets there first,
/// while the others wait for that one result.
pub struct KeyRing {
    keys: Vec<AppletKey>,
    cache: RwLock<HashMap<Box<[u8]>, Slots>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// A ring of applet keys, tried in this order (put the current owner's first).
    pub fn new(keys: Vec<AppletKey>) -> Self {
        KeyRing {
            keys,
            cache: RwLock::default(),
        }
    }

    /// The applet keys, in ring order.
    pub fn keys(&self) -> &[AppletKey] {
        &self.keys
    }

    /// How many distinct user public keys have been seen.
    pub fn cached_user_keys(&self) -> usize {
        self.cache.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The AES keys of answers made against `user` under ring key `ring_index`, computed once.
    ///
    /// # Panics
    /// If `ring_index` is not below `keys().len()`.
    pub fn aes_keys(&self, user: &UserPublicKey, ring_index: usize) -> AesKeys {
        self.slot(&self.slots(user.dh_bytes()), user, ring_index)
            .clone()
    }

    /// Decrypt one stored field (an answer array, events): classify it, then try every ring key, padded
    /// secret first. `user` is the answer's public key (`None` when the answer has none).
    pub fn decrypt_answer(&self, user: Option<&UserPublicKey>, stored: &str) -> AnswerOutcome {
        match StoredValue::classify(stored) {
            StoredValue::Encrypted(payload) => self.decrypt_payload(user, &payload),
            StoredValue::PlainJson(text) => AnswerOutcome::Plain(text.to_owned()),
            StoredValue::Malformed(error) => AnswerOutcome::Malformed(error),
        }
    }

    /// Decrypt a parsed payload. The first key under which it is JSON wins; otherwise the first diagnosis of
    /// damaged data under some key ([`AnswerOutcome::BadPadding`], [`AnswerOutcome::NotJson`]), else
    /// [`AnswerOutcome::WrongKey`].
    pub fn decrypt_payload(
        &self,
        user: Option<&UserPublicKey>,
        payload: &EncryptedPayload,
    ) -> AnswerOutcome {
        if self.keys.is_empty() {
            return AnswerOutcome::MissingKey(MissingKey::AppletKey);
        }
        let Some(user) = user else {
            return AnswerOutcome::MissingKey(MissingKey::UserPublicKey);
        };
        let slots = self.slots(user.dh_bytes());
        let mut diagnosis = AnswerOutcome::WrongKey;
        for ring_index in 0..self.keys.len() {
            for (secret, aes) in self.slot(&slots, user, ring_index).candidates() {
                let key = KeyUsed { ring_index, secret };
                let attempt = try_key(aes.bytes(), payload);
                match (attempt, &diagnosis) {
                    (Attempt::Json(json), _) => return AnswerOutcome::Decrypted { json, key },
                    (Attempt::BadPadding, AnswerOutcome::WrongKey) => {
                        diagnosis = AnswerOutcome::BadPadding(key)
                    }
                    (Attempt::NotJson, AnswerOutcome::WrongKey) => {
                        diagnosis = AnswerOutcome::NotJson(key)
                    }
                    _ => {}
                }
            }
        }
        diagnosis
    }

    fn slot<'s>(&self, slots: &'s Slots, user: &UserPublicKey, ring_index: usize) -> &'s AesKeys {
        slots[ring_index].get_or_init(|| self.keys[ring_index].aes_keys(user.dh_bytes()))
    }

    fn slots(&self, user: &[u8]) -> Slots {
        if let Some(slots) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
        {
            return Arc::clone(slots);
        }
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        let slots = cache
            .entry(user.into())
            .or_insert_with(|| (0..self.keys.len()).map(|_| OnceLock::new()).collect());
        Arc::clone(slots)
    }
}

/// What one AES key makes of a payload.
enum Attempt {
    Json(String),
    /// Valid padding, text that is not JSON.
    NotJson,
    /// Bad padding, but the first block starts JSON.
    BadPadding,
    /// Random bytes: not this key.
    Random,
}

fn try_key(key: &[u8; 32], payload: &EncryptedPayload) -> Attempt {
    let mut plain = decrypt_blocks(key, payload);
    let Some(len) = pkcs7_unpadded_len(&plain) else {
        return match looks_like_json_start(&plain[..16]) {
            true => Attempt::BadPadding,
            false => Attempt::Random,
        };
    };
    plain.truncate(len);
    match String::from_utf8(plain) {
        Ok(text) if mindlogger_model::is_json(&text) => Attempt::Json(text),
        Ok(text) => text_or_random(text.as_bytes()),
        Err(error) => text_or_random(error.as_bytes()),
    }
}

/// A wrong key passes the padding check once in 256 tries; its plaintext does not start as text.
fn text_or_random(plain: &[u8]) -> Attempt {
    match looks_like_text(&plain[..plain.len().min(16)]) {
        true => Attempt::NotJson,
        false => Attempt::Random,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::Backend;
    use crate::encrypt_payload;
    use crate::mindlogger::{RespondentKey, SecretForm, official};

    fn ring() -> KeyRing {
        KeyRing::new(vec![
            AppletKey::derive(&official::encryption(), "123456!Qwe").unwrap(),
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Whatever JSON a respondent encrypts, the applet key gets it back, and only once per respondent computes
        /// the secret.
        #[test]
        fn respondent_to_admin_round_trip(
            respondent in prop::collection::vec(any::<u8>(), 1..128),
            values in prop::collection::vec(any::<String>(), 0..6),
            iv in any::<[u8; 16]>(),
        ) {
            let encryption = official::encryption();
            let respondent = RespondentKey::new(&encryption, &respondent, Backend::RustCrypto).unwrap();
            let json = serde_json::to_string(&values).unwrap();
            let keys = respondent.aes_keys(&encryption.public_key);
            let stored = encrypt_payload(keys.padded.bytes(), iv, json.as_bytes()).to_string();
            let user = UserPublicKey::Key(respondent.public_key());
            let ring = ring();
            let key = KeyUsed { ring_index: 0, secret: SecretForm::Padded };
            prop_assert_eq!(ring.decrypt_answer(Some(&user), &stored), AnswerOutcome::Decrypted { json, key });
            prop_assert_eq!(ring.aes_keys(&user, 0), keys);
            prop_assert_eq!(ring.cached_user_keys(), 1);
        }
    }

    #[test]
    fn a_random_key_is_a_wrong_key_whatever_the_length() {
        let ring = ring();
        let user = UserPublicKey::ReviewerId("somebody else".into());
        for blocks in 1..=4 {
            let payload = EncryptedPayload::new([7; 16], vec![0x5a; 16 * blocks]).unwrap();
            assert_eq!(
                ring.decrypt_payload(Some(&user), &payload),
                AnswerOutcome::WrongKey,
                "{blocks}"
            );
        }
    }
}
