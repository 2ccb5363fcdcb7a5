//! Integration tests of mtdata-crypto: keys in every format, ciphertexts made at test time by independent
//! implementations (the openssl CLI, Java's `Cipher.getInstance("RSA")`, Node's crypto).
//! MindLogger vectors made by the admin panel's own npm packages are read from fixtures/mindlogger.

// Skipped checks print their reason (the test harness shows it with --nocapture).
#![allow(clippy::print_stdout)]

mod interop;
mod keys;
mod mindlogger;
mod support;
