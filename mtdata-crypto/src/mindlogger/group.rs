//! Modular exponentiation modulo an applet's prime, on the pure-Rust or the OpenSSL backend.

use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{BoxedUint, NonZero, Odd, U1024};
use zeroize::Zeroize;

use crate::backend::Backend;
use crate::error::{AppletKeyError, Error, KeyError};

/// The largest prime taken: MindLogger's ten primes are all 1024 bits.
const MAX_PRIME_BYTES: usize = 128;

/// The multiplicative group modulo one prime, ready to exponentiate in.
#[derive(Clone)]
pub(crate) struct Group {
    /// Minimal big-endian bytes: their length is what shared secrets are left-padded to.
    prime: Vec<u8>,
    params: FixedMontyParams<{ U1024::LIMBS }>,
    /// p - 1, the order exponents are reduced by.
    order: NonZero<BoxedUint>,
    backend: Backend,
}

/// A private exponent reduced into 1..=p-1. Zeroed when dropped.
#[derive(Clone)]
pub(crate) struct Exponent(U1024);

impl Drop for Exponent {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Group {
    /// The group of `prime` (big-endian, leading zero bytes allowed); refuses what cannot be a MindLogger prime,
    /// and a backend that is not built in.
    pub(crate) fn new(prime: &[u8], backend: Backend) -> Result<Self, Error> {
        if !Backend::available().contains(&backend) {
            return Err(KeyError::BackendUnavailable {
                backend: backend.name(),
                feature: "openssl",
            }
            .into());
        }
        let prime = strip_leading_zeros(prime).to_vec();
        if prime.len() > MAX_PRIME_BYTES {
            return Err(AppletKeyError::PrimeTooLarge {
                bits: prime.len() * 8,
            }
            .into());
        }
        // Below 2^64 a "prime" cannot protect anything and is surely a parsing mistake upstream.
        if prime.len() < 8 || prime.last().is_none_or(|low| low % 2 == 0) {
            return Err(AppletKeyError::BadPrime.into());
        }
        let modulus = Odd::new(u1024(&prime))
            .into_option()
            .ok_or(AppletKeyError::BadPrime)?;
        let order = BoxedUint::from_be_slice_vartime(&prime).wrapping_sub(BoxedUint::one());
        let order = NonZero::new(order)
            .into_option()
            .ok_or(AppletKeyError::BadPrime)?;
        Ok(Group {
            params: FixedMontyParams::new_vartime(modulus),
            prime,
            order,
            backend,
        })
    }

    /// The prime's length in bytes (128 for MindLogger).
    pub(crate) fn prime_len(&self) -> usize {
        self.prime.len()
    }

    /// Big-endian bytes of the prime, minimal.
    pub(crate) fn prime(&self) -> &[u8] {
        &self.prime
    }

    pub(crate) fn backend(&self) -> Backend {
        self.backend
    }

    /// `exponent mod (p-1)`, as `p-1` when that is 0. For any base coprime to the prime (every public value
    /// below it but 0) the power is unchanged (Fermat), and the exponentiations get ~2x shorter: the browser's
    /// private keys have 1,550 to 2,250 bits.
    pub(crate) fn reduce_exponent(&self, exponent: &[u8]) -> Exponent {
        let mut wide = BoxedUint::from_be_slice_vartime(exponent);
        let mut reduced = wide.rem_vartime(&self.order);
        wide.zeroize();
        if bool::from(reduced.is_zero()) {
            reduced = self.order.as_ref().clone();
        }
        let mut bytes = reduced.to_be_bytes();
        reduced.zeroize();
        let exponent = Exponent(u1024(strip_leading_zeros(&bytes)));
        bytes.zeroize();
        exponent
    }

    /// `base^exponent mod p`, left-padded to the prime's length (what `computeSecret` and `generateKeys` give
    /// before trimming). `base` may be any length; it is reduced first.
    pub(crate) fn pow(&self, base: &[u8], exponent: &Exponent) -> Vec<u8> {
        let mut out = match self.backend {
            Backend::RustCrypto => self.pow_rust(base, exponent),
            Backend::OpenSsl => self.pow_openssl(base, exponent),
        };
        let padded = out.split_off(out.len() - self.prime.len());
        out.zeroize();
        padded
    }

    fn pow_rust(&self, base: &[u8], exponent: &Exponent) -> Vec<u8> {
        let base = self.reduce(base);
        // Variable time in the exponent: this decrypts local files, there is no one to time it, and it is
        // measured 25 % faster than the constant-time ladder (docs in the module).
        let power = FixedMontyForm::new(&base, &self.params)
            .pow_vartime(&exponent.0)
            .retrieve();
        power.to_be_bytes().as_ref().to_vec()
    }

    /// `base mod p` as a 1024-bit integer.
    fn reduce(&self, base: &[u8]) -> U1024 {
        let base = strip_leading_zeros(base);
        if base.len() <= MAX_PRIME_BYTES {
            return u1024(base); // Montgomery conversion reduces anything below 2^1024
        }
        let reduced = BoxedUint::from_be_slice_vartime(base).rem_vartime(&self.modulus_boxed());
        u1024(strip_leading_zeros(&reduced.to_be_bytes()))
    }

    fn modulus_boxed(&self) -> NonZero<BoxedUint> {
        let prime = BoxedUint::from_be_slice_vartime(&self.prime);
        NonZero::new(prime).expect("a validated prime is not zero")
    }

    #[cfg(feature = "openssl")]
    fn pow_openssl(&self, base: &[u8], exponent: &Exponent) -> Vec<u8> {
        use openssl::bn::{BigNum, BigNumContext};

        let run = || -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let prime = BigNum::from_slice(&self.prime)?;
            let base = BigNum::from_slice(base)?;
            let mut bytes = exponent.0.to_be_bytes();
            let power = BigNum::from_slice(bytes.as_ref());
            bytes.zeroize();
            let mut power = power?;
            let mut context = BigNumContext::new()?;
            let mut out = BigNum::new()?;
            out.mod_exp(&base, &power, &prime, &mut context)?;
            power.clear();
            out.to_vec_padded(MAX_PRIME_BYTES as i32)
        };
        run().expect("BN_mod_exp with a validated odd modulus fails only when out of memory")
    }

    #[cfg(not(feature = "openssl"))]
    fn pow_openssl(&self, base: &[u8], exponent: &Exponent) -> Vec<u8> {
        // Unreachable in practice: `Group::new` refuses the OpenSSL backend when it is not built in.
        self.pow_rust(base, exponent)
    }
}

pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// A big-endian number of at most 128 bytes as a `U1024`.
fn u1024(bytes: &[u8]) -> U1024 {
    let mut padded = [0u8; MAX_PRIME_BYTES];
    padded[MAX_PRIME_BYTES - bytes.len()..].copy_from_slice(bytes);
    let value = U1024::from_be_slice(&padded);
    padded.zeroize();
    value
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::mindlogger::official;

    fn group(backend: Backend) -> Group {
        Group::new(&official::encryption().prime, backend).unwrap()
    }

    /// `base^exponent mod p` with the exponent as given, no reduction: the browser's computation.
    fn pow_unreduced(group: &Group, base: &[u8], exponent: &[u8]) -> Vec<u8> {
        use crypto_bigint::U4096;
        let mut wide = [0u8; 512];
        wide[512 - exponent.len()..].copy_from_slice(exponent);
        let base = FixedMontyForm::new(&group.reduce(base), &group.params);
        base.pow_vartime(&U4096::from_be_slice(&wide))
            .retrieve()
            .to_be_bytes()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn the_reduced_exponent_gives_the_browsers_powers() {
        let private_key = official::bytes("/admin_mock/private_key");
        let user = official::bytes("/admin_mock/identifiers/0/userPublicKey");
        for backend in Backend::available() {
            let group = group(backend);
            let reduced = group.reduce_exponent(&private_key);
            assert!(private_key.len() * 8 > 1800, "the derived exponent is long");
            for base in [&[2u8][..], &user, b"5f0e35523477de8b4a528dd0"] {
                assert_eq!(
                    group.pow(base, &reduced),
                    pow_unreduced(&group, base, &private_key),
                    "{backend}"
                );
            }
        }
    }

    #[test]
    fn a_multiple_of_the_order_still_gives_the_right_powers() {
        let group = group(Backend::RustCrypto);
        let order = group.order.as_ref().to_be_bytes();
        let exponent = group.reduce_exponent(&order);
        assert_eq!(group.pow(&[2], &exponent)[127], 1, "2^(p-1) = 1");
        assert_eq!(
            group.pow(&group.prime.clone(), &exponent),
            vec![0; 128],
            "p^(p-1) = 0 mod p"
        );
    }

    #[test]
    fn refuses_what_cannot_be_a_mindlogger_prime() {
        let bad = |prime: &[u8]| {
            matches!(
                Group::new(prime, Backend::RustCrypto),
                Err(Error::AppletKey(_))
            )
        };
        assert!(bad(&[0xff; 129]));
        assert!(bad(&[0xff, 0xfe]));
        assert!(bad(&[0xff; 127]
            .iter()
            .copied()
            .chain([0xfe])
            .collect::<Vec<_>>()));
        assert!(bad(&[]));
        let padded: Vec<u8> = [0, 0]
            .into_iter()
            .chain(official::encryption().prime)
            .collect();
        assert_eq!(
            Group::new(&padded, Backend::RustCrypto)
                .unwrap()
                .prime_len(),
            128
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn backends_agree(base in prop::collection::vec(any::<u8>(), 1..200),
                          exponent in prop::collection::vec(any::<u8>(), 1..300)) {
            let powers: Vec<_> = Backend::available()
                .into_iter()
                .map(|backend| {
                    let group = group(backend);
                    group.pow(&base, &group.reduce_exponent(&exponent))
                })
                .collect();
            prop_assert!(powers.windows(2).all(|pair| pair[0] == pair[1]));
            let group = group(Backend::RustCrypto);
            prop_assert_eq!(&powers[0], &pow_unreduced(&group, &base, &exponent));
        }
    }
}
