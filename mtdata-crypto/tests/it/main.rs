//! Integration tests of mtdata-crypto: keys in every format, and ciphertexts made at test time by independent
//! implementations (the openssl CLI, Java's `Cipher.getInstance("RSA")`, Node's crypto).

// Skipped checks print their reason (the test harness shows it with --nocapture).
#![allow(clippy::print_stdout)]

mod interop;
mod keys;
mod support;
