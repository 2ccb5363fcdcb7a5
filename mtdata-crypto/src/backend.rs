//! The implementations a [`crate::PrivateKey`] (RSA) and a MindLogger key (modular exponentiation) run on.

use std::fmt;

/// Which implementation does the big-number work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Pure Rust: the `rsa` crate (about 830 RSA decryptions/s per core) and crypto-bigint's Montgomery
    /// exponentiation for MindLogger (about 1,200 1024-bit exponentiations/s per core); portable, no system library.
    RustCrypto,
    /// The system OpenSSL (`libcrypto`) through the `openssl` crate (`BN_mod_exp` for MindLogger, about twice
    /// crypto-bigint's speed); cargo feature `openssl`.
    OpenSsl,
}

impl Backend {
    /// The fastest backend built in: OpenSSL with the `openssl` feature, else the pure-Rust one.
    pub const DEFAULT: Backend = if cfg!(feature = "openssl") {
        Backend::OpenSsl
    } else {
        Backend::RustCrypto
    };

    /// Every backend built into this binary, the default first.
    pub fn available() -> Vec<Backend> {
        if cfg!(feature = "openssl") {
            vec![Backend::OpenSsl, Backend::RustCrypto]
        } else {
            vec![Backend::RustCrypto]
        }
    }

    /// Short lowercase name (`rust`, `openssl`).
    pub fn name(self) -> &'static str {
        match self {
            Backend::RustCrypto => "rust",
            Backend::OpenSsl => "openssl",
        }
    }

    /// A description with the library version, for benchmarks and `--verbose` output.
    pub fn describe(self) -> String {
        match self {
            Backend::RustCrypto => "pure-Rust rsa 0.9".to_owned(),
            Backend::OpenSsl => openssl_version(),
        }
    }
}

#[cfg(feature = "openssl")]
fn openssl_version() -> String {
    openssl::version::version().to_owned()
}

#[cfg(not(feature = "openssl"))]
fn openssl_version() -> String {
    "OpenSSL (not built in)".to_owned()
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
