//! A mail server on 127.0.0.1 that accepts every message and keeps it, for the alert tests: the SMTP dialogue
//! is `mailin-embedded`'s, so the client under test meets a real server implementation.
//!
//! ```no_run
//! let sink = mtdata_sim::smtp::Sink::start().unwrap();
//! println!("send to {}:{}", sink.host(), sink.port());
//! // ... send mail ...
//! for mail in sink.messages() {
//!     println!("{} -> {:?}: {} bytes", mail.from, mail.to, mail.data.len());
//! }
//! ```

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One message as the sink received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message, headers and body, as sent.
    pub data: Vec<u8>,
}

impl Mail {
    /// The message as text (alerts are UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// A running sink. It serves until the process ends (tests are short-lived).
#[derive(Debug, Clone)]
pub struct Sink {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Mail>>>,
}

#[derive(Clone)]
struct Collect {
    received: Arc<Mutex<Vec<Mail>>>,
    current: Option<Mail>,
}

impl Handler for Collect {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Mail {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(mail) = &mut self.current {
            mail.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(mail) = self.current.take() {
            crate::lock(&self.received).push(mail);
        }
        response::OK
    }
}

impl Sink {
    /// Listen on a free port of 127.0.0.1, without TLS (an alert config reaches it with
    /// `SMTP_SECURITY: none`, which mtdata allows for a loopback relay only).
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind((IpAddr::from([127, 0, 0, 1]), 0))?;
        let addr = listener.local_addr()?;
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Collect {
            received: Arc::clone(&received),
            current: None,
        });
        server
            .with_name("sink.mtdata.test")
            .with_ssl(SslConfig::None)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::Builder::new()
            .name("smtp-sink".into())
            .spawn(move || {
                let _ = server.serve();
            })?;
        Ok(Sink { addr, received })
    }

    pub fn host(&self) -> String {
        self.addr.ip().to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<Mail> {
        crate::lock(&self.received).clone()
    }
}
