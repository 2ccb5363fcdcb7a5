#!/usr/bin/env python3
"""Python baseline of the MindLogger decryption benchmark: the same work as `bench_mindlogger decrypt`.

Usage: python3 scripts/mindlogger_baseline.py INPUT.json [ROUNDS]
INPUT is written by `bench_mindlogger generate`. Needs the `cryptography` package (pip install cryptography).
Per round: the applet key from the password (the browser's lossy decoding, checked against the public key),
each respondent's key parsed and its secret computed with pow() (exponent reduced mod p-1, as the Rust side
does), then every answer split, hex-decoded, AES-256-CBC decrypted, unpadded, UTF-8 decoded and JSON-parsed.
One process, as a Python script would run. Prints `seconds=` lines like the Rust side.
"""
import hashlib, json, sys, time

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

REPLACEMENT = "\ufffd".encode()


def js_lossy(data):
    """The `buffer` polyfill's decode + re-encode: one U+FFFD per byte that starts no valid sequence."""
    out, i = bytearray(), 0
    while True:
        try:
            out += data[i:].decode("utf-8").encode()
            return bytes(out)
        except UnicodeDecodeError as error:
            out += data[i:i + error.start] + REPLACEMENT
            i += error.start + 1


def as_int(text):
    return int.from_bytes(bytes(json.loads(text)), "big")


def run(document):
    enc = document["encryption"]
    prime, base, public = as_int(enc["prime"]), as_int(enc["base"]), as_int(enc["publicKey"])
    private = b"".join(js_lossy(hashlib.sha512(s.encode()).digest()) for s in (document["password"], enc["accountId"]))
    exponent = int.from_bytes(private, "big") % (prime - 1)
    if pow(base, exponent, prime) != public:
        sys.exit("wrong applet password")
    size = (prime.bit_length() + 7) // 8
    keys = [hashlib.sha256(pow(as_int(text), exponent, prime).to_bytes(size, "big")).digest()
            for text in document["respondents"]]
    decrypted = 0
    for respondent, stored in document["answers"]:
        iv, ciphertext = stored.split(":")
        decryptor = Cipher(algorithms.AES(keys[respondent]), modes.CBC(bytes.fromhex(iv))).decryptor()
        padded = decryptor.update(bytes.fromhex(ciphertext)) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        json.loads((unpadder.update(padded) + unpadder.finalize()).decode("utf-8"))
        decrypted += 1
    assert decrypted == len(document["answers"])


def main():
    with open(sys.argv[1]) as f:
        document = json.load(f)
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run(document)
        seconds = time.perf_counter() - start
        best = min(best, seconds)
        print(f"round: seconds={seconds:.3f}", flush=True)
    print(f"seconds={best:.3f} python {sys.version.split()[0]}, cryptography")


if __name__ == "__main__":
    main()
