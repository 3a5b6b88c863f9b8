//! Who is calling: the same users as the PostgreSQL listener (`[[users]]`, `crate::auth`).
//!
//! Flight's usual login is a Handshake with `authorization: Basic …`, answered with
//! `authorization: Bearer <token>` that the client sends on every later call (ADBC and
//! arrow-flight's client both do this). A Basic header on any other call is accepted as well
//! (pyarrow.flight users often send it themselves). With no users configured (trust, loopback
//! only, as for PostgreSQL) a call without credentials is user `flinkwire`, and a handshake may
//! name any user.
//!
//! Passwords are checked in cleartext against the stored SCRAM verifier or MD5 hash; that is why
//! the listener refuses a non-loopback address unless it serves TLS (`FlightConfig::validate`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use tonic::metadata::MetadataMap;
use tonic::Status;

use super::error;
use crate::auth::{Accounts, AuthMethod};

/// The user of calls that bring no credentials when trust is configured.
pub const TRUST_USER: &str = "flinkwire";

/// How a call proved who it is; also what its session is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A bearer token from a handshake.
    Token(String),
    /// No token: the gRPC connection (peer address) stands for the client, as one PostgreSQL
    /// connection does.
    Peer { user: String, peer: String },
}

/// Issued bearer tokens: token → user and last use. Tokens unused for the idle timeout expire.
#[derive(Debug, Default)]
pub struct Tokens {
    issued: Mutex<HashMap<String, (String, Instant)>>,
}

impl Tokens {
    /// A fresh random token for `user`.
    pub fn issue(&self, user: &str) -> Result<String, Status> {
        let mut bytes = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
            .map_err(|_| error::internal("no randomness for a bearer token"))?;
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        self.lock().insert(token.clone(), (user.to_owned(), Instant::now()));
        Ok(token)
    }

    /// The user of a live token (and marks it used).
    fn user(&self, token: &str) -> Option<String> {
        let mut issued = self.lock();
        let (user, used) = issued.get_mut(token)?;
        *used = Instant::now();
        Some(user.clone())
    }

    /// Forgets tokens unused for `idle`.
    pub fn expire(&self, idle: Duration) {
        self.lock().retain(|_, (_, used)| used.elapsed() < idle);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        self.issued.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `authorization` as sent.
enum Credentials {
    None,
    Bearer(String),
    Basic { user: String, password: String },
}

fn credentials(metadata: &MetadataMap) -> Result<Credentials, Status> {
    let Some(value) = metadata.get("authorization") else { return Ok(Credentials::None) };
    let value = value.to_str().map_err(|_| error::status("28000", "the authorization header is not text", None))?;
    if let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) {
        return Ok(Credentials::Bearer(token.trim().to_owned()));
    }
    if let Some(encoded) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic ")) {
        // Go's Flight client (ADBC) sends the base64 without padding; others pad it.
        let engine = base64::engine::GeneralPurpose::new(
            &base64::alphabet::STANDARD,
            base64::engine::GeneralPurposeConfig::new().with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        let decoded = engine
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| error::status("28000", "the Basic authorization header is not base64 of user:password", None))?;
        let (user, password) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
        return Ok(Credentials::Basic { user: user.to_owned(), password: password.to_owned() });
    }
    Err(error::status("28000", "unsupported authorization scheme: use Basic (handshake) or Bearer", None))
}

/// Checks a user's password as the PostgreSQL listener would (same users, same methods).
fn check_password(accounts: &Accounts, user: &str, password: &str) -> Result<(), Status> {
    if accounts.trust_all() {
        return Ok(());
    }
    let failed = || error::status("28P01", format!("password authentication failed for user \"{user}\""), None);
    let account = accounts.get(user).ok_or_else(failed)?;
    match account.method {
        AuthMethod::Trust => Ok(()),
        AuthMethod::Cert => Err(error::status(
            "28000",
            format!("user \"{user}\" authenticates with a client certificate, which the Flight SQL listener does not offer"),
            None,
        )),
        AuthMethod::ScramSha256 | AuthMethod::Md5 | AuthMethod::Password => {
            account.matches_cleartext(user, password).then_some(()).ok_or_else(failed)
        }
    }
}

/// The handshake: checks Basic credentials and returns the user and a new bearer token.
pub fn handshake(metadata: &MetadataMap, accounts: &Accounts, tokens: &Tokens) -> Result<(String, String), Status> {
    let user = match credentials(metadata)? {
        Credentials::Basic { user, password } => {
            check_password(accounts, &user, &password)?;
            user
        }
        Credentials::None if accounts.trust_all() => TRUST_USER.to_owned(),
        Credentials::Bearer(token) => tokens.user(&token).ok_or_else(expired)?,
        Credentials::None => return Err(missing()),
    };
    let token = tokens.issue(&user)?;
    Ok((user, token))
}

/// Who a (non-handshake) call is from.
pub fn identify(metadata: &MetadataMap, peer: &str, accounts: &Accounts, tokens: &Tokens) -> Result<(String, Caller), Status> {
    match credentials(metadata)? {
        Credentials::Bearer(token) => {
            let user = tokens.user(&token).ok_or_else(expired)?;
            Ok((user, Caller::Token(token)))
        }
        Credentials::Basic { user, password } => {
            check_password(accounts, &user, &password)?;
            Ok((user.clone(), Caller::Peer { user, peer: peer.to_owned() }))
        }
        Credentials::None if accounts.trust_all() => {
            Ok((TRUST_USER.to_owned(), Caller::Peer { user: TRUST_USER.to_owned(), peer: peer.to_owned() }))
        }
        Credentials::None => Err(missing()),
    }
}

fn missing() -> Status {
    error::status("28000", "authentication required: handshake with Basic user:password, then send the Bearer token", None)
}

fn expired() -> Status {
    error::status("28000", "unknown or expired bearer token: handshake again", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UserConfig;

    fn basic(user: &str, password: &str) -> MetadataMap {
        let mut m = MetadataMap::new();
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")));
        m.insert("authorization", value.parse().unwrap());
        m
    }

    #[test]
    fn basic_then_bearer() {
        let users: Vec<UserConfig> = serde_json::from_value(serde_json::json!([{"name": "alice", "password": "secret"}])).unwrap();
        let accounts = Accounts::new(&users, false, false).unwrap();
        let tokens = Tokens::default();
        assert_eq!(handshake(&basic("alice", "wrong"), &accounts, &tokens).unwrap_err().metadata().get(error::SQLSTATE_HEADER).unwrap(), "28P01");
        assert!(handshake(&basic("bob", "secret"), &accounts, &tokens).is_err());
        assert!(identify(&MetadataMap::new(), "p", &accounts, &tokens).is_err(), "users configured: no anonymous calls");
        let (user, token) = handshake(&basic("alice", "secret"), &accounts, &tokens).unwrap();
        assert_eq!(user, "alice");
        let mut bearer = MetadataMap::new();
        bearer.insert("authorization", format!("Bearer {token}").parse().unwrap());
        assert_eq!(identify(&bearer, "p", &accounts, &tokens).unwrap(), ("alice".to_owned(), Caller::Token(token)));
        tokens.expire(Duration::ZERO);
        assert!(identify(&bearer, "p", &accounts, &tokens).is_err());
    }

    #[test]
    fn trust_without_users() {
        let accounts = Accounts::new(&[], false, false).unwrap();
        let tokens = Tokens::default();
        let (user, caller) = identify(&MetadataMap::new(), "127.0.0.1:1", &accounts, &tokens).unwrap();
        assert_eq!(user, TRUST_USER);
        assert_eq!(caller, Caller::Peer { user: TRUST_USER.into(), peer: "127.0.0.1:1".into() });
        assert_eq!(handshake(&basic("carol", "x"), &accounts, &tokens).unwrap().0, "carol");
        // Unpadded, as Go's Flight client sends it.
        let mut unpadded = MetadataMap::new();
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD_NO_PAD.encode("dave:pw"));
        unpadded.insert("authorization", value.parse().unwrap());
        assert_eq!(handshake(&unpadded, &accounts, &tokens).unwrap().0, "dave");
    }
}
