//! A PostgreSQL client that speaks raw protocol bytes, for what real drivers never send
//! (oversized or broken messages, Terminate in the middle of a result).
#![allow(dead_code)] // each test crate uses a different part

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub fn startup_packet() -> Vec<u8> {
    startup_packet_with(&[("user", "test"), ("database", "default_catalog")])
}

/// The startup packet of `user` (who logs in with a password).
pub fn startup_packet_for(user: &str) -> Vec<u8> {
    startup_packet_with(&[("user", user)])
}

fn startup_packet_with(parameters: &[(&str, &str)]) -> Vec<u8> {
    let mut body = vec![0, 3, 0, 0];
    for (k, v) in parameters {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut packet = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    packet.extend(body);
    packet
}

pub fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    m.extend_from_slice(body);
    m
}

pub fn query(sql: &[u8]) -> Vec<u8> {
    message(b'Q', &[sql, b"\0"].concat())
}

pub fn parse(name: &str, sql: &[u8]) -> Vec<u8> {
    message(b'P', &[name.as_bytes(), b"\0", sql, b"\0\0\0"].concat())
}

/// A backend message: its type and body.
pub struct Reply {
    pub kind: u8,
    pub body: Vec<u8>,
}

impl Reply {
    /// The SQLSTATE of an ErrorResponse.
    pub fn sqlstate(&self) -> Option<String> {
        self.field(b'C')
    }

    pub fn field(&self, code: u8) -> Option<String> {
        if self.kind != b'E' {
            return None;
        }
        self.body
            .split(|&b| b == 0)
            .find(|f| f.first() == Some(&code))
            .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
    }
}

pub struct RawClient {
    pub socket: TcpStream,
}

impl RawClient {
    pub async fn connect(addr: SocketAddr) -> Self {
        RawClient { socket: TcpStream::connect(addr).await.unwrap() }
    }

    /// Connects and logs in (trust), reading up to the first ReadyForQuery.
    pub async fn logged_in(addr: SocketAddr) -> Self {
        let mut client = Self::connect(addr).await;
        client.send(&startup_packet()).await;
        client.until_ready().await;
        client
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.socket.write_all(bytes).await.unwrap();
    }

    /// The next message, or None once the server has closed the connection.
    pub async fn next(&mut self) -> Option<Reply> {
        let mut header = [0u8; 5];
        let read = tokio::time::timeout(Duration::from_secs(20), self.socket.read_exact(&mut header)).await;
        read.expect("the server answers within 20 s").ok()?;
        let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
        let mut body = vec![0; len - 4];
        self.socket.read_exact(&mut body).await.ok()?;
        Some(Reply { kind: header[0], body })
    }

    /// Answers an MD5 password request (`auth = "md5"` users), then reads up to ReadyForQuery.
    pub async fn until_ready_with_md5(&mut self, user: &str, password: &str) -> Vec<Reply> {
        let request = self.next().await.expect("an authentication request");
        assert_eq!((request.kind, &request.body[..4]), (b'R', &[0, 0, 0, 5][..]), "an MD5 password request");
        let response = pgwire::api::auth::md5pass::hash_md5_password(user, password, &request.body[4..8]);
        self.send(&message(b'p', &[response.as_bytes(), b"\0"].concat())).await;
        self.until_ready().await
    }

    /// Every message up to and including ReadyForQuery.
    pub async fn until_ready(&mut self) -> Vec<Reply> {
        let mut replies = Vec::new();
        while let Some(reply) = self.next().await {
            let done = reply.kind == b'Z';
            replies.push(reply);
            if done {
                return replies;
            }
        }
        let errors: Vec<_> = replies.iter().filter_map(|r| r.field(b'M')).collect();
        let kinds: Vec<char> = replies.iter().map(|r| r.kind as char).collect();
        panic!("the connection closed before ReadyForQuery (messages {kinds:?}, errors: {errors:?})");
    }

    /// Whether the server closed the connection (after any messages it sent first).
    pub async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(Duration::from_secs(20), self.socket.read_to_end(&mut rest)).await,
            Ok(Ok(_)) | Ok(Err(_))
        )
    }

    /// `SHOW server_version` answers: the connection is still usable.
    pub async fn still_usable(&mut self) {
        self.send(&query(b"SHOW server_version")).await;
        let replies = self.until_ready().await;
        assert!(replies.iter().any(|r| r.kind == b'D'), "a row from SHOW server_version");
        assert!(replies.iter().all(|r| r.kind != b'E'));
    }
}

