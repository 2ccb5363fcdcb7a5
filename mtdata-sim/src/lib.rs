//! Study-server simulators for mtdata: a MindTrails server speaking the export API, and MindLogger v1 and v2
//! servers, over HTTP/1.1 on 127.0.0.1, with synthetic studies and fault injection. `mtdata demo` runs on it, the tests drive it, and a
//! lab can point a `server.config` at it to try its settings before touching a real server.
//!
//! **Everything here is synthetic.** No row comes from a real study, the participant names and e-mails are
//! invented, and the embedded key pair is a published test-only key that protects nothing. The simulators
//! read no file at run time: the key is compiled in.
//!
//! - [`mindtrails`]: [`mindtrails::Simulator`], the MindTrails export API (eras A/B/D), with fault injection
//!   and inspection for tests.
//! - [`mindlogger`]: [`mindlogger::Simulator`], MindLogger's v1 (Girder) or v2 API with applets whose answers
//!   are encrypted as the apps do, token expiry, live submissions, faults and the request log.
//! - [`study`]: [`study::SyntheticStudy`], the deterministic Templeton-like study the MindTrails simulator serves.
//! - [`keys`]: the embedded test key pair and [`keys::ParticipantEncryptor`], the server-side
//!   `participantRSA` encryption.
//! - `smtp` (cargo feature `smtp`, for tests): `smtp::Sink`, a mail server on 127.0.0.1 that keeps every
//!   message it is sent, so alert tests read what a lab would receive.
//!
//! The HTTP/1.1 server underneath (request parsing, keep-alive, delivery faults such as a body cut at a
//! given byte) and the faults are generic and crate-internal: each simulator implements its routes on them.
//!
//! ```
//! use std::io::{Read as _, Write as _};
//! use mtdata_sim::mindtrails::{SimOptions, Simulator};
//!
//! let sim = Simulator::start(SimOptions::default()).unwrap();
//! println!("serving {}", sim.base_url()); // http://127.0.0.1:PORT/api/
//!
//! // Any HTTP client works; here plain std. "YWRtaW5AZXhhbXBsZS5vcmc6dGVzdC1wYXNzd29yZA==" is
//! // base64("admin@example.org:test-password"), the default credentials.
//! let mut s = std::net::TcpStream::connect(sim.addr()).unwrap();
//! write!(
//!     s,
//!     "GET /api/export HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \
//!      YWRtaW5AZXhhbXBsZS5vcmc6dGVzdC1wYXNzd29yZA==\r\nConnection: close\r\n\r\n"
//! )
//! .unwrap();
//! let mut answer = String::new();
//! s.read_to_string(&mut answer).unwrap();
//! assert!(answer.starts_with("HTTP/1.1 200 OK"));
//! assert!(answer.contains(r#"{"name":"OA","size":"#));
//! ```

use std::sync::{Mutex, MutexGuard};

mod fault;
mod http;
pub mod keys;
pub mod mindlogger;
pub mod mindtrails;
#[cfg(feature = "smtp")]
pub mod smtp;
pub mod study;

/// Locks `m`, going on after a thread panicked while holding it (the simulators' state stays usable for
/// the test that is reporting the panic).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
