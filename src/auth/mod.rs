//! Who may log in and how: the configured users' credentials, the method each one uses, and
//! the slow-down of repeated failures.
//!
//! - [`verifier`]: SCRAM-SHA-256 verifiers (PostgreSQL's `pg_authid` format) and MD5 hashes.
//! - [`scram`]: the server side of a SCRAM exchange.
//! - [`throttle`]: delays for addresses that keep failing.
//!
//! The startup handler (`frontend::startup`) drives the exchange; this module decides.

pub mod scram;
pub mod throttle;
pub mod verifier;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::config::UserConfig;
use verifier::{Md5Hash, ScramVerifier};

/// `[[users]] auth`: how a user proves who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum AuthMethod {
    /// SCRAM-SHA-256 (and -PLUS over TLS): the default when a password is set.
    #[serde(rename = "scram-sha-256")]
    ScramSha256,
    /// MD5 challenge–response, for old drivers; needs the password in plaintext or as an
    /// `md5…` hash.
    #[serde(rename = "md5")]
    Md5,
    /// The password in cleartext: only over TLS.
    #[serde(rename = "password")]
    Password,
    /// A client certificate verified against `tls.client_ca` whose common name is the user.
    #[serde(rename = "cert")]
    Cert,
    /// No check at all.
    #[serde(rename = "trust")]
    Trust,
}

impl AuthMethod {
    /// The name used in the configuration, the log and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::ScramSha256 => "scram-sha-256",
            AuthMethod::Md5 => "md5",
            AuthMethod::Password => "password",
            AuthMethod::Cert => "cert",
            AuthMethod::Trust => "trust",
        }
    }
}

/// A user's stored secrets: the forms its `password` allows.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub scram: Option<ScramVerifier>,
    pub md5: Option<Md5Hash>,
}

/// One configured user, ready for authentication.
#[derive(Debug, Clone)]
pub struct Account {
    pub method: AuthMethod,
    pub credentials: Credentials,
}

impl Account {
    /// Whether `password`, sent in cleartext, is this user's.
    pub fn matches_cleartext(&self, user: &str, password: &str) -> bool {
        match (&self.credentials.scram, &self.credentials.md5) {
            (Some(v), _) => v.matches_password(password),
            (None, Some(h)) => h.matches_password(user, password),
            (None, None) => false,
        }
    }
}

/// What is wrong with a user's authentication settings.
pub type AccountError = String;

/// Builds the account for a configured user. A plaintext password becomes a SCRAM verifier
/// (and an MD5 hash, for `auth = "md5"`) here; the plaintext is not kept.
pub fn account(user: &UserConfig, tls_configured: bool, client_ca: bool) -> Result<(Account, bool), AccountError> {
    let name = &user.name;
    let password = user.password.as_deref().filter(|p| !p.is_empty());
    let method = match (user.auth, password) {
        (Some(method), _) => method,
        (None, Some(_)) => AuthMethod::ScramSha256,
        (None, None) => return Err(format!("user {name:?} has neither a password nor an auth method")),
    };
    let mut plaintext = false;
    let mut credentials = Credentials::default();
    if let Some(password) = password {
        if let Some(parsed) = ScramVerifier::parse(password) {
            credentials.scram = Some(parsed.map_err(|e| format!("user {name:?}: {e}"))?);
        } else if let Some(hash) = Md5Hash::parse(password) {
            credentials.md5 = Some(hash);
        } else {
            plaintext = true;
            credentials.scram = Some(ScramVerifier::from_password(password, verifier::DEFAULT_ITERATIONS));
            credentials.md5 = Some(Md5Hash::from_password(name, password));
        }
    }
    match method {
        AuthMethod::ScramSha256 if credentials.scram.is_none() => {
            return Err(format!(
                "user {name:?}: scram-sha-256 needs a SCRAM verifier or a plaintext password (an md5 hash cannot be used)"
            ))
        }
        AuthMethod::Md5 if credentials.md5.is_none() => {
            return Err(format!("user {name:?}: md5 needs the password in plaintext or as an md5 hash"))
        }
        AuthMethod::Password if credentials.scram.is_none() && credentials.md5.is_none() => {
            return Err(format!("user {name:?}: auth = \"password\" needs a password"))
        }
        AuthMethod::Password if !tls_configured => {
            return Err(format!("user {name:?}: auth = \"password\" (cleartext) is only allowed over TLS, and [tls] is not configured"))
        }
        AuthMethod::Cert if !client_ca => {
            return Err(format!("user {name:?}: auth = \"cert\" needs tls.client_ca to verify client certificates"))
        }
        _ => {}
    }
    if !matches!(method, AuthMethod::ScramSha256 | AuthMethod::Md5 | AuthMethod::Password) {
        credentials = Credentials::default();
    }
    Ok((Account { method, credentials }, plaintext))
}

/// The configured users by name, and what an unknown name gets.
#[derive(Debug)]
pub struct Accounts {
    accounts: HashMap<String, Account>,
    /// No users configured: everyone is trusted (allowed on a loopback listener only, checked
    /// when the configuration is loaded).
    trust_all: bool,
    /// Key for the salts shown to unknown users, so the same name always gets the same salt
    /// within a run and a probe cannot tell an unknown user from a wrong password.
    mock_key: [u8; 32],
}

impl Accounts {
    pub fn new(users: &[UserConfig], tls_configured: bool, client_ca: bool) -> Result<Self, AccountError> {
        let mut accounts = HashMap::new();
        for user in users {
            let (account, plaintext) = account(user, tls_configured, client_ca)?;
            if plaintext {
                tracing::warn!(
                    user = %user.name,
                    "the configuration holds this user's password in plaintext; store a verifier from `flinkwire passwd` instead"
                );
            }
            if accounts.insert(user.name.clone(), account).is_some() {
                return Err(format!("user {:?} is configured twice", user.name));
            }
        }
        let mut mock_key = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut mock_key)
            .map_err(|_| "the operating system's random number generator failed".to_owned())?;
        Ok(Accounts { accounts, trust_all: users.is_empty(), mock_key })
    }

    /// Whether no users are configured (trust).
    pub fn trust_all(&self) -> bool {
        self.trust_all
    }

    pub fn get(&self, user: &str) -> Option<&Account> {
        self.accounts.get(user)
    }

    /// A verifier for a user that does not exist: a stable fake salt and keys that match no
    /// password (the exchange fails at the proof, like a wrong password).
    pub fn mock_verifier(&self, user: &str) -> ScramVerifier {
        let salt = verifier::hmac_sha256(&self.mock_key, user.as_bytes())[..16].to_vec();
        ScramVerifier {
            iterations: verifier::DEFAULT_ITERATIONS,
            salt,
            stored_key: verifier::hmac_sha256(&self.mock_key, b"stored"),
            server_key: verifier::hmac_sha256(&self.mock_key, b"server"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, password: Option<&str>, auth: Option<AuthMethod>) -> UserConfig {
        UserConfig { name: name.into(), password: password.map(Into::into), auth, ..Default::default() }
    }

    #[test]
    fn methods_and_credentials() {
        let (a, plain) = account(&user("a", Some("pw"), None), false, false).unwrap();
        assert_eq!(a.method, AuthMethod::ScramSha256);
        assert!(plain && a.matches_cleartext("a", "pw") && !a.matches_cleartext("a", "px"));
        let verifier = ScramVerifier::from_password("pw", 4096).to_string();
        let (a, plain) = account(&user("a", Some(&verifier), None), false, false).unwrap();
        assert!(!plain && a.credentials.md5.is_none() && a.matches_cleartext("a", "pw"));
        assert!(account(&user("a", Some(&verifier), Some(AuthMethod::Md5)), false, false).is_err());
        let md5 = "md5".to_owned() + &format!("{:x}", md5::compute("pwa"));
        let (a, _) = account(&user("a", Some(&md5), Some(AuthMethod::Md5)), false, false).unwrap();
        assert!(a.matches_cleartext("a", "pw"));
        assert!(account(&user("a", Some(&md5), None), false, false).is_err(), "scram cannot use an md5 hash");
        assert!(account(&user("a", Some("pw"), Some(AuthMethod::Password)), false, false).is_err(), "cleartext needs TLS");
        assert!(account(&user("a", Some("pw"), Some(AuthMethod::Password)), true, false).is_ok());
        assert!(account(&user("a", None, Some(AuthMethod::Cert)), true, false).is_err(), "cert needs a client CA");
        assert!(account(&user("a", None, Some(AuthMethod::Cert)), true, true).is_ok());
        assert!(account(&user("a", None, None), false, false).is_err());
        assert!(account(&user("a", None, Some(AuthMethod::Trust)), false, false).is_ok());
        assert!(account(&user("a", Some("SCRAM-SHA-256$x"), None), false, false).is_err());
    }

    #[test]
    fn unknown_users_get_a_stable_salt() {
        let accounts = Accounts::new(&[user("a", Some("pw"), None)], false, false).unwrap();
        assert_eq!(accounts.mock_verifier("x").salt, accounts.mock_verifier("x").salt);
        assert_ne!(accounts.mock_verifier("x").salt, accounts.mock_verifier("y").salt);
        assert!(Accounts::new(&[user("a", Some("pw"), None), user("a", Some("p"), None)], false, false).is_err());
    }
}
