//! Stored credentials: SCRAM-SHA-256 verifiers in PostgreSQL's `pg_authid` format and MD5 hashes.
//!
//! A verifier is `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64 parts), so
//! a user list from PostgreSQL or PgBouncer's `auth_file` can be reused. It holds no password:
//! the server checks a client's proof against `StoredKey` and signs with `ServerKey` (RFC 5802).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ring::{digest, hmac, pbkdf2};

/// PostgreSQL's default (`scram_iterations`).
pub const DEFAULT_ITERATIONS: u32 = 4096;
const SALT_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// A SCRAM-SHA-256 verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramVerifier {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub stored_key: [u8; KEY_LEN],
    pub server_key: [u8; KEY_LEN],
}

impl std::fmt::Debug for ScramVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The keys are as good as the password against this server: never logged.
        f.debug_struct("ScramVerifier").field("iterations", &self.iterations).finish_non_exhaustive()
    }
}

impl ScramVerifier {
    /// A verifier for `password` with a fresh random salt.
    pub fn from_password(password: &str, iterations: u32) -> Self {
        let mut salt = vec![0u8; SALT_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
            .expect("the operating system's random number generator");
        Self::with_salt(password, salt, iterations)
    }

    /// A verifier for `password` with the given salt (deterministic: tests, mock users).
    pub fn with_salt(password: &str, salt: Vec<u8>, iterations: u32) -> Self {
        let salted = salted_password(password, &salt, iterations);
        let (stored_key, server_key) = keys(&salted);
        ScramVerifier { iterations, salt, stored_key, server_key }
    }

    /// Parses PostgreSQL's text form; `None` when `text` is not a verifier (a plaintext password).
    pub fn parse(text: &str) -> Option<Result<Self, String>> {
        let rest = text.strip_prefix("SCRAM-SHA-256$")?;
        Some(Self::parse_parts(rest).ok_or_else(|| {
            "a SCRAM verifier must look like SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey> \
             (base64 salt and 32-byte keys), as `flinkwire passwd` prints it"
                .to_owned()
        }))
    }

    fn parse_parts(rest: &str) -> Option<Self> {
        let (params, keys) = rest.split_once('$')?;
        let (iterations, salt) = params.split_once(':')?;
        let (stored, server) = keys.split_once(':')?;
        let iterations: u32 = iterations.parse().ok().filter(|&i| i > 0)?;
        let salt = BASE64.decode(salt).ok().filter(|s| !s.is_empty())?;
        let stored_key = BASE64.decode(stored).ok()?.try_into().ok()?;
        let server_key = BASE64.decode(server).ok()?.try_into().ok()?;
        Some(ScramVerifier { iterations, salt, stored_key, server_key })
    }

    /// Whether `password` (sent in cleartext, over TLS) is the one this verifier was made from.
    pub fn matches_password(&self, password: &str) -> bool {
        let salted = salted_password(password, &self.salt, self.iterations);
        let (stored_key, _) = keys(&salted);
        constant_time_eq(&stored_key, &self.stored_key)
    }
}

impl std::fmt::Display for ScramVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SCRAM-SHA-256${}:{}${}:{}",
            self.iterations,
            BASE64.encode(&self.salt),
            BASE64.encode(self.stored_key),
            BASE64.encode(self.server_key)
        )
    }
}

/// `Hi(Normalize(password), salt, i)` of RFC 5802 (PBKDF2-HMAC-SHA-256). The password is
/// SASLprep-normalised as PostgreSQL does, falling back to the raw bytes when that fails.
fn salted_password(password: &str, salt: &[u8], iterations: u32) -> [u8; KEY_LEN] {
    let normalized = stringprep::saslprep(password).unwrap_or(std::borrow::Cow::Borrowed(password));
    let mut out = [0u8; KEY_LEN];
    let iterations = std::num::NonZeroU32::new(iterations).unwrap_or(std::num::NonZeroU32::MIN);
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, normalized.as_bytes(), &mut out);
    out
}

/// `(StoredKey, ServerKey)` from a salted password.
fn keys(salted: &[u8; KEY_LEN]) -> ([u8; KEY_LEN], [u8; KEY_LEN]) {
    let client_key = hmac_sha256(salted, b"Client Key");
    let stored_key = sha256(&client_key);
    (stored_key, hmac_sha256(salted, b"Server Key"))
}

pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; KEY_LEN] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), message);
    tag.as_ref().try_into().expect("HMAC-SHA-256 is 32 bytes")
}

pub(crate) fn sha256(data: &[u8]) -> [u8; KEY_LEN] {
    digest::digest(&digest::SHA256, data).as_ref().try_into().expect("SHA-256 is 32 bytes")
}

/// Compares secrets without an early exit (no timing hint of how many bytes matched).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An MD5 password hash as PostgreSQL stores it: `md5` + hex(md5(password ‖ user name)).
#[derive(Clone, PartialEq, Eq)]
pub struct Md5Hash(String);

impl std::fmt::Debug for Md5Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Md5Hash(…)")
    }
}

impl Md5Hash {
    pub fn from_password(user: &str, password: &str) -> Self {
        Md5Hash(format!("md5{:x}", md5::compute(format!("{password}{user}"))))
    }

    /// Parses a stored `md5…` hash; `None` when `text` is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix("md5")?;
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Md5Hash(text.to_ascii_lowercase()))
    }

    /// Whether `response` is the client's answer to the challenge `salt`:
    /// `md5` + hex(md5(hex part of the stored hash ‖ salt)).
    pub fn matches_response(&self, response: &str, salt: &[u8; 4]) -> bool {
        let mut input = self.0.as_bytes()[3..].to_vec();
        input.extend_from_slice(salt);
        let expected = format!("md5{:x}", md5::compute(input));
        constant_time_eq(expected.as_bytes(), response.as_bytes())
    }

    /// Whether `password` (sent in cleartext) hashes to this.
    pub fn matches_password(&self, user: &str, password: &str) -> bool {
        constant_time_eq(Self::from_password(user, password).0.as_bytes(), self.0.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgresql_verifier_round_trips_and_checks_passwords() {
        // Made by PostgreSQL 15: `SET password_encryption = 'scram-sha-256'; CREATE ROLE u
        // PASSWORD 'secret'` then `SELECT rolpassword FROM pg_authid` (salt random per run).
        let made = ScramVerifier::with_salt("secret", b"0123456789abcdef".to_vec(), 4096);
        let text = made.to_string();
        assert!(text.starts_with("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$"), "{text}");
        let parsed = ScramVerifier::parse(&text).unwrap().unwrap();
        assert_eq!(parsed, made);
        assert!(parsed.matches_password("secret"));
        assert!(!parsed.matches_password("Secret"));
        assert!(ScramVerifier::parse("secret").is_none());
        assert!(ScramVerifier::parse("SCRAM-SHA-256$4096:abc").unwrap().is_err());
        assert!(ScramVerifier::parse("SCRAM-SHA-256$0:MDEy$AAAA:AAAA").unwrap().is_err());
    }

    #[test]
    fn rfc7677_test_vector() {
        // RFC 7677 section 3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096.
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let v = ScramVerifier::with_salt("pencil", salt, 4096);
        let auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
        let server_signature = hmac_sha256(&v.server_key, auth_message.as_bytes());
        assert_eq!(BASE64.encode(server_signature), "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    #[test]
    fn md5_hash_and_challenge() {
        // PostgreSQL: md5 of 'secret' || 'alice'.
        let hash = Md5Hash::from_password("alice", "secret");
        assert_eq!(Md5Hash::parse(&hash.0), Some(hash.clone()));
        assert!(hash.matches_password("alice", "secret"));
        assert!(!hash.matches_password("bob", "secret"));
        let salt = [1, 2, 3, 4];
        let response = pgwire::api::auth::md5pass::hash_md5_password("alice", "secret", &salt);
        assert!(hash.matches_response(&response, &salt));
        assert!(!hash.matches_response(&response, &[4, 3, 2, 1]));
        assert!(Md5Hash::parse("md5xyz").is_none());
    }
}
