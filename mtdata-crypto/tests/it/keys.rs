//! Key loading: every format, and a clear error for every kind of wrong file.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use mtdata_crypto::{
    Backend, Error, FieldOutcome, KeyError, KeyFormat, PrivateKey, check_key_file_permissions,
};

use crate::support::{PRIVATE_KEYS, has_tool, key_path, run};

#[test]
fn detects_each_format() {
    let expected = [
        KeyFormat::Pkcs1Pem,
        KeyFormat::Pkcs1Der,
        KeyFormat::Pkcs8Pem,
        KeyFormat::Pkcs8Der,
    ];
    for (name, format) in PRIVATE_KEYS.iter().zip(expected) {
        for backend in Backend::available() {
            let key = PrivateKey::load_with(&key_path(name), backend).unwrap();
            assert_eq!(key.format(), format, "{name}");
            assert_eq!(key.bits(), 2048);
            assert_eq!(key.backend(), backend);
            assert_eq!(key.fork().backend(), backend);
        }
    }
}

#[test]
fn pem_with_crlf_and_leading_text_loads() {
    let pem = std::fs::read_to_string(key_path("test_private_pkcs1.pem")).unwrap();
    let text = format!(
        "Bag Attributes\r\n    friendlyName: x\r\n{}",
        pem.replace('\n', "\r\n")
    );
    let key = PrivateKey::from_bytes(text.as_bytes()).unwrap();
    assert_eq!(key.format(), KeyFormat::Pkcs1Pem);
}

#[test]
fn debug_output_shows_no_key_material() {
    let key = PrivateKey::load(&key_path("test_private_pkcs1.pem")).unwrap();
    let debug = format!("{key:?}");
    assert!(
        debug.contains("Pkcs1Pem") && debug.contains("2048"),
        "{debug}"
    );
    assert!(debug.len() < 120, "{debug}");
    let outcome = FieldOutcome::Decrypted("532".into());
    assert!(!format!("{outcome:?}").contains("532"));
}

fn load_error(bytes: &[u8]) -> KeyError {
    match PrivateKey::from_bytes(bytes) {
        Err(Error::Key(e)) => e,
        other => panic!("expected a key error, got {other:?}"),
    }
}

#[test]
fn public_key_given_instead_of_private() {
    for name in ["test_public.pem", "test_public.der"] {
        let bytes = std::fs::read(key_path(name)).unwrap();
        assert!(matches!(load_error(&bytes), KeyError::PublicKey), "{name}");
    }
}

#[test]
fn malformed_keys_are_reported() {
    assert!(matches!(load_error(b"hello"), KeyError::Malformed { .. }));
    assert!(matches!(load_error(b""), KeyError::Malformed { .. }));
    let der = std::fs::read(key_path("test_private_pkcs1.der")).unwrap();
    assert!(matches!(
        load_error(&der[..600]),
        KeyError::Malformed { .. }
    ));
    let pem = std::fs::read_to_string(key_path("test_private_pkcs8.pem")).unwrap();
    let broken = pem.replacen("MII", "M!I", 1);
    let err = load_error(broken.as_bytes());
    assert!(matches!(err, KeyError::Malformed { .. }), "{err:?}");
    // The message says what was expected and never echoes key material.
    let message = err.to_string();
    assert!(message.contains("BEGIN RSA PRIVATE KEY"), "{message}");
    assert!(
        !message.contains("MII") && !message.contains("M!I"),
        "{message}"
    );
}

#[test]
fn missing_file_names_the_path() {
    let err = PrivateKey::load(std::path::Path::new("/nonexistent/key.pem")).unwrap_err();
    assert!(matches!(err, Error::ReadKey { .. }));
    assert!(err.to_string().contains("/nonexistent/key.pem"));
}

#[test]
fn encrypted_keys_are_refused_with_advice() {
    if !has_tool("openssl", "version") {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = key_path("test_private_pkcs1.pem");
    let pkcs8_pem = dir.path().join("enc8.pem");
    let pkcs8_der = dir.path().join("enc8.der");
    let legacy = dir.path().join("legacy.pem");
    run(Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes256",
            "-passout",
            "pass:secret",
            "-in",
        ])
        .arg(&src)
        .arg("-out")
        .arg(&pkcs8_pem));
    run(Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes256",
            "-passout",
            "pass:secret",
            "-outform",
            "DER",
            "-in",
        ])
        .arg(&src)
        .arg("-out")
        .arg(&pkcs8_der));
    run(Command::new("openssl")
        .args([
            "rsa",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:secret",
            "-in",
        ])
        .arg(&src)
        .arg("-out")
        .arg(&legacy));
    for path in [&pkcs8_pem, &pkcs8_der, &legacy] {
        let err = PrivateKey::load(path).unwrap_err();
        assert!(
            matches!(
                err,
                Error::KeyFile {
                    source: KeyError::Encrypted,
                    ..
                }
            ),
            "{}: {err:?}",
            path.display()
        );
        let message = chain(&err);
        assert!(message.contains(&path.display().to_string()) && message.contains("passphrase"));
    }
}

#[test]
fn non_rsa_key_is_refused() {
    if !has_tool("openssl", "version") {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ec = dir.path().join("ec.pem");
    run(Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&ec));
    let err = PrivateKey::load(&ec).unwrap_err();
    assert!(
        matches!(
            err,
            Error::KeyFile {
                source: KeyError::NotRsa { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn key_readable_by_others_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pem");
    std::fs::copy(key_path("test_private_pkcs1.pem"), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(check_key_file_permissions(&path).unwrap(), None);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warning = check_key_file_permissions(&path).unwrap().unwrap();
    assert_eq!(warning.mode, 0o644);
    assert!(warning.to_string().contains("chmod 600"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert!(check_key_file_permissions(&path).unwrap().is_some());
}

#[test]
fn backends_agree_on_raw_decryption() {
    // Encrypt with the pure-Rust public key and decrypt on every backend.
    use rsa::pkcs8::DecodePublicKey;
    let public = rsa::RsaPublicKey::from_public_key_der(
        &std::fs::read(key_path("test_public.der")).unwrap(),
    )
    .unwrap();
    let mut rng = rsa::rand_core::OsRng;
    let ct = public
        .encrypt(&mut rng, rsa::Pkcs1v15Encrypt, b"987654")
        .unwrap();
    for backend in Backend::available() {
        let key = PrivateKey::load_with(&key_path("test_private_pkcs8.der"), backend).unwrap();
        assert_eq!(key.decrypt(&ct).unwrap(), b"987654");
        assert!(key.decrypt(&ct[1..]).is_err());
    }
}

/// An error and its causes on one line, as the CLI prints it.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
