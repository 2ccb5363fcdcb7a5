//! The connection side of the HTTP/1.1 server: bind 127.0.0.1, one thread per connection, keep-alive, and a
//! clean stop that closes every socket and joins every thread. What to answer is the [`Handler`]'s business.

use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{Delivery, Request, Response, read_request, write_response};
use crate::lock;

/// What a [`Handler`] does with one request.
pub(crate) enum Reply {
    /// Send this response, delivered as `Delivery` says (a delivery fault closes the connection after it).
    Send(Response, Delivery),
    /// Close the connection without answering.
    Close,
}

/// One simulated server's routes, authentication and faults.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Answers one parsed request.
    fn handle(&self, req: &Request) -> Reply;

    /// Answers a request that could not be parsed (`problem` says why); the connection closes after it.
    fn malformed(&self, problem: &str) -> Response;
}

/// Where and how a [`Server`] listens.
#[derive(Debug, Clone)]
pub(crate) struct ServerOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How long an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Prefix of the thread names (`<prefix>-accept`, `<prefix>-conn`), seen in debuggers and panics.
    pub thread_prefix: &'static str,
}

struct Connections {
    stopping: AtomicBool,
    /// Open connections: a handle to shut the socket down and the thread serving it.
    open: Mutex<Vec<(TcpStream, JoinHandle<()>)>>,
}

/// A running server. Dropping it stops accepting, closes every connection and joins every thread.
pub(crate) struct Server {
    addr: SocketAddr,
    connections: Arc<Connections>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1 and serves `handler` from a background thread.
    pub fn start<H: Handler>(handler: Arc<H>, opts: &ServerOptions) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", opts.port))?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(Connections {
            stopping: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        });
        let accept_connections = connections.clone();
        let (idle_timeout, prefix) = (opts.idle_timeout, opts.thread_prefix);
        let accept = std::thread::Builder::new()
            .name(format!("{prefix}-accept"))
            .spawn(move || {
                accept_loop(
                    &accept_connections,
                    &listener,
                    &handler,
                    idle_timeout,
                    prefix,
                );
            })?;
        Ok(Server {
            addr,
            connections,
            accept: Some(accept),
        })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

fn accept_loop<H: Handler>(
    connections: &Arc<Connections>,
    listener: &TcpListener,
    handler: &Arc<H>,
    idle_timeout: Duration,
    prefix: &str,
) {
    for stream in listener.incoming() {
        if connections.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let Ok(registered) = stream.try_clone() else {
            continue;
        };
        let (c, h) = (connections.clone(), handler.clone());
        let Ok(thread) = std::thread::Builder::new()
            .name(format!("{prefix}-conn"))
            .spawn(move || {
                serve_connection(&c, &*h, &stream, idle_timeout);
            })
        else {
            continue;
        };
        let mut open = lock(&connections.open);
        let (done, running): (Vec<_>, Vec<_>) = open.drain(..).partition(|(_, t)| t.is_finished());
        *open = running;
        open.push((registered, thread));
        drop(open);
        for (_, t) in done {
            let _ = t.join();
        }
    }
}

fn serve_connection(
    connections: &Connections,
    handler: &dyn Handler,
    stream: &TcpStream,
    idle_timeout: Duration,
) {
    let _ = stream.set_read_timeout(Some(idle_timeout));
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    while !connections.stopping.load(Ordering::SeqCst) {
        match read_request(&mut reader) {
            Ok(Some(req)) => {
                let keep_open = match handler.handle(&req) {
                    Reply::Send(resp, delivery) => {
                        write_response(stream, resp, delivery, req.keep_alive)
                    }
                    Reply::Close => Ok(false),
                };
                if !matches!(keep_open, Ok(true)) {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let resp = handler.malformed(&e.to_string());
                let _ = write_response(stream, resp, Delivery::Normal, false);
                break;
            }
            Err(_) => break,
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

impl Drop for Server {
    fn drop(&mut self) {
        self.connections.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        let open: Vec<_> = lock(&self.connections.open).drain(..).collect();
        for (stream, thread) in open {
            let _ = stream.shutdown(Shutdown::Both);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::super::Body;
    use super::*;

    /// A server of one route, the shape a new simulator gives its [`Handler`].
    struct Echo;

    impl Handler for Echo {
        fn handle(&self, req: &Request) -> Reply {
            match req.path.as_str() {
                "/echo" => Reply::Send(
                    Response::new(200, Body::Bytes(req.param("q").unwrap_or("").into())),
                    Delivery::Normal,
                ),
                "/cut" => Reply::Send(
                    Response::new(200, Body::Bytes(b"0123456789".to_vec())),
                    Delivery::CloseAfter(4),
                ),
                "/reset" => Reply::Close,
                _ => Reply::Send(Response::new(404, Body::Empty), Delivery::Normal),
            }
        }

        fn malformed(&self, problem: &str) -> Response {
            Response::new(400, Body::Bytes(problem.as_bytes().to_vec()))
        }
    }

    fn start() -> Server {
        let opts = ServerOptions {
            port: 0,
            idle_timeout: Duration::from_secs(5),
            thread_prefix: "test-sim",
        };
        Server::start(Arc::new(Echo), &opts).unwrap()
    }

    fn exchange(server: &Server, request: &str) -> String {
        let mut s = TcpStream::connect(server.addr()).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    }

    #[test]
    fn serves_keep_alive_requests_then_closes_on_request() {
        let server = start();
        let answer = exchange(
            &server,
            "GET /echo?q=a%20b HTTP/1.1\r\nHost: x\r\n\r\n\
             GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        );
        let (first, second) = answer.split_once("HTTP/1.1 404").unwrap();
        assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
        assert!(first.contains("Connection: keep-alive"), "{first}");
        assert!(first.ends_with("\r\n\r\na b"), "{first}");
        assert!(second.contains("Connection: close"), "{second}");
    }

    #[test]
    fn delivery_faults_and_malformed_requests_close_the_connection() {
        let server = start();
        let cut = exchange(&server, "GET /cut HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(cut.contains("Content-Length: 10\r\n"), "{cut}");
        assert!(cut.ends_with("\r\n\r\n0123"), "{cut}");
        assert_eq!(exchange(&server, "GET /reset HTTP/1.1\r\n\r\n"), "");
        let bad = exchange(&server, "NONSENSE\r\n\r\n");
        assert!(bad.starts_with("HTTP/1.1 400 Bad Request"), "{bad}");
        assert!(bad.ends_with("malformed request line"), "{bad}");
    }
}
