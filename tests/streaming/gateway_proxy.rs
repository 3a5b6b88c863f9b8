//! A stand-in for the SQL Gateway that a test controls: it forwards to the real gateway, or is
//! down (connections refused, open ones cut), hangs (reads requests, never answers), or answers
//! every request with fixed bytes (an HTML 502 page, truncated JSON…).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How the proxy answers.
#[derive(Debug, Clone)]
pub enum Mode {
    Forward,
    /// Accepts connections and reads requests but never answers.
    Hang,
    /// Answers every request with these bytes, then closes the connection.
    Answer(&'static [u8]),
}

pub struct GatewayProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    /// Bumped to cut every open connection (they restart in the new mode).
    generation: watch::Sender<u64>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl GatewayProxy {
    /// A proxy on a free loopback port in front of the gateway at `upstream` (an http:// URL).
    pub async fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/');
        let upstream: SocketAddr = tokio::net::lookup_host(upstream).await.unwrap().next().unwrap();
        let (generation, _) = watch::channel(0);
        let mut proxy = GatewayProxy {
            addr: "127.0.0.1:0".parse().unwrap(),
            upstream,
            mode: Arc::new(Mutex::new(Mode::Forward)),
            generation,
            accept: Mutex::new(None),
        };
        proxy.addr = proxy.listen().await;
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Down: new connections are refused and open ones are cut.
    pub fn down(&self) {
        if let Some(task) = self.accept.lock().unwrap().take() {
            task.abort();
        }
        self.cut();
    }

    /// Back up on the same port, forwarding.
    pub async fn up(&self) {
        self.set_mode(Mode::Forward);
        if self.accept.lock().unwrap().is_none() {
            self.listen().await;
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
        self.cut();
    }

    fn cut(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    async fn listen(&self) -> SocketAddr {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        // Rebinding a port just released can race its TIME_WAIT sockets: retry briefly.
        let mut tries = 0;
        while let Err(err) = socket.bind(self.addr) {
            tries += 1;
            assert!(tries < 50, "cannot rebind the proxy at {}: {err}", self.addr);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let listener = socket.listen(128).unwrap();
        let addr = listener.local_addr().unwrap();
        let (mode, upstream, generation) = (self.mode.clone(), self.upstream, self.generation.subscribe());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = mode.lock().unwrap().clone();
                let mut cut = generation.clone();
                cut.mark_unchanged();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = serve(client, mode, upstream) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        *self.accept.lock().unwrap() = Some(task);
        addr
    }
}

impl Drop for GatewayProxy {
    fn drop(&mut self) {
        self.down();
    }
}

async fn serve(mut client: TcpStream, mode: Mode, upstream: SocketAddr) {
    match mode {
        Mode::Forward => {
            if let Ok(mut server) = TcpStream::connect(upstream).await {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        }
        Mode::Hang => {
            let mut sink = [0u8; 4096];
            while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        Mode::Answer(bytes) => {
            // Read the request head, then answer whatever it was.
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match client.read(&mut buf).await {
                    Ok(n) if n > 0 => head.extend_from_slice(&buf[..n]),
                    _ => return,
                }
            }
            let _ = client.write_all(bytes).await;
            let _ = client.shutdown().await;
        }
    }
}
