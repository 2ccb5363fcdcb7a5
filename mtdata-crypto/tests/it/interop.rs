//! Decrypt ciphertexts made at test time by other RSA implementations, as the MindTrails server made them.

use std::process::Command;

use mtdata_crypto::{FieldOutcome, FieldStatus, PrivateKey};

use crate::support::{all_keys, has_tool, key_path, run};

const IDS: [&str; 4] = ["1", "532", "4711", "1234567890"];

/// `openssl pkeyutl -encrypt` (PKCS#1 v1.5) then `openssl base64`, which wraps lines at 64 characters.
fn openssl_ciphertexts() -> Option<Vec<(String, String)>> {
    if !has_tool("openssl", "version") {
        println!("skipped: the openssl CLI is not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    for id in IDS {
        let plain = dir.path().join("plain");
        let cipher = dir.path().join("cipher");
        std::fs::write(&plain, id).unwrap();
        run(Command::new("openssl")
            .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
            .arg(key_path("test_public.pem"))
            .args(["-pkeyopt", "rsa_padding_mode:pkcs1", "-in"])
            .arg(&plain)
            .arg("-out")
            .arg(&cipher));
        let b64 = run(Command::new("openssl").args(["base64", "-in"]).arg(&cipher));
        out.push((id.to_owned(), String::from_utf8(b64).unwrap()));
    }
    Some(out)
}

const JAVA_SOURCE: &str = r#"
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import javax.crypto.Cipher;

// What MindTrails' RsaEncryptionService did: X.509 DER public key, Cipher.getInstance("RSA"), commons-style base64.
public class Encrypt {
    public static void main(String[] args) throws Exception {
        byte[] der = Files.readAllBytes(Paths.get(args[0]));
        PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(der));
        for (int i = 1; i < args.length; i++) {
            Cipher cipher = Cipher.getInstance("RSA");
            cipher.init(Cipher.ENCRYPT_MODE, key);
            System.out.println(Base64.getEncoder().encodeToString(cipher.doFinal(args[i].getBytes())));
        }
    }
}
"#;

fn java_ciphertexts() -> Option<Vec<(String, String)>> {
    if !has_tool("javac", "-version") || !has_tool("java", "-version") {
        println!("skipped: javac/java are not installed");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Encrypt.java"), JAVA_SOURCE).unwrap();
    run(Command::new("javac")
        .arg("-d")
        .arg(dir.path())
        .arg(dir.path().join("Encrypt.java")));
    let stdout = run(Command::new("java")
        .arg("-cp")
        .arg(dir.path())
        .arg("Encrypt")
        .arg(key_path("test_public.der"))
        .args(IDS));
    let lines: Vec<String> = String::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), IDS.len());
    Some(IDS.iter().map(|id| id.to_string()).zip(lines).collect())
}

const NODE_SOURCE: &str = r#"
const crypto = require('crypto');
const fs = require('fs');
const key = fs.readFileSync(process.argv[1]);
for (const id of process.argv.slice(2)) {
  const ct = crypto.publicEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, Buffer.from(id));
  console.log(ct.toString('base64'));
}
"#;

fn node_ciphertexts() -> Option<Vec<(String, String)>> {
    if !has_tool("node", "--version") {
        println!("skipped: node is not installed");
        return None;
    }
    let stdout = run(Command::new("node")
        .args(["-e", NODE_SOURCE])
        .arg(key_path("test_public.pem"))
        .args(IDS));
    let lines: Vec<String> = String::from_utf8(stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), IDS.len());
    Some(IDS.iter().map(|id| id.to_string()).zip(lines).collect())
}

fn assert_all_keys_decrypt(source: &str, ciphertexts: &[(String, String)]) {
    for (label, key) in all_keys() {
        for (id, b64) in ciphertexts {
            assert_eq!(
                key.decrypt_field(b64),
                FieldOutcome::Decrypted(id.clone()),
                "{source} ciphertext with {label}"
            );
        }
    }
}

#[test]
fn decrypts_openssl_cli_ciphertexts_with_every_key_format() {
    if let Some(cts) = openssl_ciphertexts() {
        // openssl base64 wraps at 64 columns: line breaks must be tolerated.
        assert!(cts.iter().all(|(_, b64)| b64.contains('\n')));
        assert_all_keys_decrypt("openssl", &cts);
        let crlf: Vec<_> = cts
            .iter()
            .map(|(id, b64)| (id.clone(), b64.replace('\n', "\r\n")))
            .collect();
        assert_all_keys_decrypt("openssl (CRLF)", &crlf);
    }
}

#[test]
fn decrypts_java_cipher_rsa_ciphertexts_with_every_key_format() {
    if let Some(cts) = java_ciphertexts() {
        assert!(
            cts.iter()
                .all(|(_, b64)| b64.len() == 344 && b64.ends_with("=="))
        );
        assert_all_keys_decrypt("java", &cts);
    }
}

#[test]
fn decrypts_node_ciphertexts_with_every_key_format() {
    if let Some(cts) = node_ciphertexts() {
        assert_all_keys_decrypt("node", &cts);
    }
}

#[test]
fn wrong_key_is_a_failure_not_data() {
    let Some(cts) = java_ciphertexts().or_else(openssl_ciphertexts) else {
        return;
    };
    for backend in mtdata_crypto::Backend::available() {
        let other = PrivateKey::load_with(&key_path("other_private_pkcs1.pem"), backend).unwrap();
        for (_, b64) in &cts {
            assert_eq!(
                other.decrypt_field(b64),
                FieldOutcome::WrongKeyOrCorrupt,
                "{backend}"
            );
        }
    }
}

#[test]
fn corrupt_ciphertexts_fail() {
    let Some(cts) = openssl_ciphertexts() else {
        return;
    };
    for (label, key) in all_keys() {
        for (_, b64) in &cts {
            let raw = mtdata_crypto::decode_base64(b64).unwrap();
            for position in [0, 1, 100, 255] {
                let mut flipped = raw.clone();
                flipped[position] ^= 0x5a;
                let text = base64_encode(&flipped);
                assert_eq!(
                    key.decrypt_field(&text),
                    FieldOutcome::WrongKeyOrCorrupt,
                    "{label}"
                );
            }
            // Truncated (e.g. a cell cut by a spreadsheet) and extended.
            let cut = base64_encode(&raw[..200]);
            assert_eq!(
                key.decrypt_field(&cut),
                FieldOutcome::WrongKeyOrCorrupt,
                "{label}"
            );
            let mut long = raw.clone();
            long.push(0);
            assert_eq!(
                key.decrypt_field(&base64_encode(&long)).status(),
                FieldStatus::Failed
            );
            // Not base64 at all.
            assert_eq!(
                key.decrypt_field(&b64.replace('A', "*")),
                FieldOutcome::NotBase64
            );
        }
    }
}

#[test]
fn a_ciphertext_of_non_digits_is_rejected() {
    // The implicit-rejection trap (mindtrails.md §2.2b): any plaintext other than an id is a failure.
    if !has_tool("openssl", "version") {
        println!("skipped: the openssl CLI is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for plain_text in ["hello", "12a", "", " 12"] {
        std::fs::write(dir.path().join("plain"), plain_text).unwrap();
        run(Command::new("openssl")
            .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
            .arg(key_path("test_public.pem"))
            .args(["-pkeyopt", "rsa_padding_mode:pkcs1", "-in"])
            .arg(dir.path().join("plain"))
            .arg("-out")
            .arg(dir.path().join("cipher")));
        let raw = std::fs::read(dir.path().join("cipher")).unwrap();
        for (label, key) in all_keys() {
            // The raw decryption works: only the plaintext check rejects it.
            assert_eq!(key.decrypt(&raw).unwrap(), plain_text.as_bytes(), "{label}");
            assert_eq!(
                key.decrypt_field(&base64_encode(&raw)),
                FieldOutcome::WrongKeyOrCorrupt,
                "{label}"
            );
        }
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
