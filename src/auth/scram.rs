//! The server side of a SCRAM-SHA-256(-PLUS) exchange (RFC 5802, RFC 7677), checked against a
//! [`ScramVerifier`] as PostgreSQL does.
//!
//! Written here rather than taken from pgwire 0.41's `ScramAuth`: that one needs the salted
//! password (so it cannot use `pg_authid`-style verifiers, which hold only StoredKey and
//! ServerKey), builds the `tls-server-end-point` binding from base64 strings instead of bytes,
//! accepts the `y` flag while offering `-PLUS`, and compares proofs with `==`.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::verifier::{constant_time_eq, hmac_sha256, sha256, ScramVerifier};

pub const SCRAM_SHA_256: &str = "SCRAM-SHA-256";
pub const SCRAM_SHA_256_PLUS: &str = "SCRAM-SHA-256-PLUS";

/// Why an exchange failed. `Protocol` errors are the client's fault (08P01); `WrongProof` is a
/// wrong password or unknown user (28P01, the same message for both).
#[derive(Debug, PartialEq, Eq)]
pub enum ScramError {
    Protocol(String),
    WrongProof,
}

fn protocol<T>(message: impl Into<String>) -> Result<T, ScramError> {
    Err(ScramError::Protocol(message.into()))
}

/// What the server offers for one connection.
#[derive(Debug, Clone)]
pub struct ScramOffer {
    /// `tls-server-end-point` data (RFC 5929: the hash of the server certificate used for this
    /// connection) when the connection is TLS; `-PLUS` is offered only then.
    pub channel_binding: Option<Vec<u8>>,
}

impl ScramOffer {
    /// The mechanisms for AuthenticationSASL, strongest first.
    pub fn mechanisms(&self) -> Vec<String> {
        let mut mechanisms = Vec::new();
        if self.channel_binding.is_some() {
            mechanisms.push(SCRAM_SHA_256_PLUS.to_owned());
        }
        mechanisms.push(SCRAM_SHA_256.to_owned());
        mechanisms
    }
}

/// After the client's first message: waiting for its proof.
#[derive(Debug)]
pub struct ScramInProgress {
    verifier: ScramVerifier,
    /// `None` for a user that does not exist: the exchange runs to the end and fails there.
    known: bool,
    gs2_header: String,
    channel_binding: Option<Vec<u8>>,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

/// Handles SASLInitialResponse: `mechanism` and the client-first-message. Returns the
/// server-first-message to send in AuthenticationSASLContinue.
pub fn start(
    offer: &ScramOffer,
    mechanism: &str,
    client_first: &[u8],
    verifier: ScramVerifier,
    known: bool,
) -> Result<(String, ScramInProgress), ScramError> {
    let plus = match mechanism {
        SCRAM_SHA_256 => false,
        SCRAM_SHA_256_PLUS if offer.channel_binding.is_some() => true,
        _ => return protocol(format!("client selected an invalid SASL authentication mechanism {mechanism:?}")),
    };
    let Ok(message) = std::str::from_utf8(client_first) else { return protocol("SCRAM message is not UTF-8") };
    // gs2-header = cbind-flag "," [authzid] ","
    let mut parts = message.splitn(3, ',');
    let (Some(flag), Some(authzid), Some(bare)) = (parts.next(), parts.next(), parts.next()) else {
        return protocol("malformed SCRAM message (gs2 header)");
    };
    match (flag, plus) {
        ("p=tls-server-end-point", true) => {}
        (f, true) => return protocol(format!("unsupported SCRAM channel-binding type {f:?}")),
        ("n", false) => {}
        // The client could bind but believes the server cannot: with -PLUS on offer that is a
        // downgrade, as PostgreSQL judges it.
        ("y", false) if offer.channel_binding.is_none() => {}
        ("y", false) => return protocol("SCRAM channel binding negotiation error: the client supports it, the server offered it"),
        (f, false) if f.starts_with("p=") => return protocol("channel binding requested with a mechanism that has none (SCRAM-SHA-256)"),
        _ => return protocol("malformed SCRAM message (channel-binding flag)"),
    }
    if !authzid.is_empty() {
        return protocol("client uses authorization identity, which is not supported");
    }
    if bare.starts_with("m=") {
        return protocol("client requires an unsupported SCRAM extension");
    }
    // PostgreSQL ignores the SCRAM user name (`n=`): the startup packet's user is the one checked.
    let Some(client_nonce) = bare.split(',').find_map(|a| a.strip_prefix("r=")) else {
        return protocol("malformed SCRAM message (no nonce)");
    };
    if client_nonce.is_empty() || !client_nonce.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b',') {
        return protocol("malformed SCRAM message (invalid nonce)");
    }
    let nonce = format!("{client_nonce}{}", server_nonce());
    let server_first = format!("r={nonce},s={},i={}", BASE64.encode(&verifier.salt), verifier.iterations);
    let gs2_header = format!("{flag},{authzid},");
    Ok((
        server_first.clone(),
        ScramInProgress {
            verifier,
            known,
            gs2_header,
            channel_binding: if plus { offer.channel_binding.clone() } else { None },
            client_first_bare: bare.to_owned(),
            server_first,
            nonce,
        },
    ))
}

impl ScramInProgress {
    /// Handles the client-final-message (SASLResponse); returns the server-final-message for
    /// AuthenticationSASLFinal when the proof is right.
    pub fn finish(self, client_final: &[u8]) -> Result<String, ScramError> {
        let Ok(message) = std::str::from_utf8(client_final) else { return protocol("SCRAM message is not UTF-8") };
        let Some((without_proof, proof)) = message.rsplit_once(",p=") else {
            return protocol("malformed SCRAM message (no proof)");
        };
        let mut attributes = without_proof.split(',');
        let binding = attributes.next().and_then(|a| a.strip_prefix("c="));
        let nonce = attributes.next().and_then(|a| a.strip_prefix("r="));
        let (Some(binding), Some(nonce)) = (binding, nonce) else {
            return protocol("malformed SCRAM message (channel binding and nonce)");
        };
        let mut expected_binding = self.gs2_header.as_bytes().to_vec();
        if let Some(data) = &self.channel_binding {
            expected_binding.extend_from_slice(data);
        }
        if BASE64.decode(binding).ok().as_deref() != Some(&expected_binding[..]) {
            return protocol("SCRAM channel binding check failed");
        }
        if nonce != self.nonce {
            return protocol("SCRAM nonce mismatch");
        }
        let Ok(proof) = BASE64.decode(proof) else { return protocol("malformed SCRAM proof") };
        let auth_message = format!("{},{},{without_proof}", self.client_first_bare, self.server_first);
        let client_signature = hmac_sha256(&self.verifier.stored_key, auth_message.as_bytes());
        if proof.len() != client_signature.len() {
            return protocol("malformed SCRAM proof");
        }
        let client_key: Vec<u8> = proof.iter().zip(client_signature).map(|(p, s)| p ^ s).collect();
        if !constant_time_eq(&sha256(&client_key), &self.verifier.stored_key) || !self.known {
            return Err(ScramError::WrongProof);
        }
        let server_signature = hmac_sha256(&self.verifier.server_key, auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(server_signature)))
    }
}

fn server_nonce() -> String {
    let mut bytes = [0u8; 18];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("the operating system's random number generator");
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client as RFC 5802 describes it, for `password`.
    fn client_final(password: &str, gs2: &str, cb_data: &[u8], client_first_bare: &str, server_first: &str) -> String {
        let attrs: std::collections::HashMap<_, _> =
            server_first.split(',').map(|a| (&a[..1], &a[2..])).collect();
        let salt = BASE64.decode(attrs["s"]).unwrap();
        let v = ScramVerifier::with_salt(password, salt.clone(), attrs["i"].parse().unwrap());
        // ClientKey is HMAC(SaltedPassword, "Client Key"): recompute SaltedPassword.
        let mut salted = [0u8; 32];
        ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, std::num::NonZeroU32::new(4096).unwrap(), &salt, password.as_bytes(), &mut salted);
        let client_key = hmac_sha256(&salted, b"Client Key");
        assert_eq!(sha256(&client_key), v.stored_key);
        let mut binding = gs2.as_bytes().to_vec();
        binding.extend_from_slice(cb_data);
        let without_proof = format!("c={},r={}", BASE64.encode(binding), attrs["r"]);
        let auth = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hmac_sha256(&v.stored_key, auth.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(signature).map(|(k, s)| k ^ s).collect();
        format!("{without_proof},p={}", BASE64.encode(proof))
    }

    fn verifier() -> ScramVerifier {
        ScramVerifier::with_salt("secret", b"saltsaltsaltsalt".to_vec(), 4096)
    }

    #[test]
    fn right_and_wrong_passwords() {
        let offer = ScramOffer { channel_binding: None };
        assert_eq!(offer.mechanisms(), ["SCRAM-SHA-256"]);
        for (password, known, ok) in [("secret", true, true), ("wrong", true, false), ("secret", false, false)] {
            let bare = "n=,r=abcdefghijkl";
            let (server_first, state) = start(&offer, SCRAM_SHA_256, format!("n,,{bare}").as_bytes(), verifier(), known).unwrap();
            let fin = client_final(password, "n,,", b"", bare, &server_first);
            let result = state.finish(fin.as_bytes());
            assert_eq!(result.is_ok(), ok, "{password} {known}: {result:?}");
            if !ok {
                assert_eq!(result, Err(ScramError::WrongProof));
            }
        }
    }

    #[test]
    fn channel_binding() {
        let offer = ScramOffer { channel_binding: Some(vec![7; 32]) };
        assert_eq!(offer.mechanisms(), ["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]);
        let bare = "n=,r=nonce123";
        let gs2 = "p=tls-server-end-point,,";
        let (sf, state) = start(&offer, SCRAM_SHA_256_PLUS, format!("{gs2}{bare}").as_bytes(), verifier(), true).unwrap();
        assert!(state.finish(client_final("secret", gs2, &[7; 32], bare, &sf).as_bytes()).is_ok());
        // Bound to another certificate: refused.
        let (sf, state) = start(&offer, SCRAM_SHA_256_PLUS, format!("{gs2}{bare}").as_bytes(), verifier(), true).unwrap();
        assert!(matches!(state.finish(client_final("secret", gs2, &[8; 32], bare, &sf).as_bytes()), Err(ScramError::Protocol(_))));
        // `y` while -PLUS is offered: a downgrade.
        assert!(matches!(start(&offer, SCRAM_SHA_256, format!("y,,{bare}").as_bytes(), verifier(), true), Err(ScramError::Protocol(_))));
        // -PLUS without TLS is never accepted.
        let plain = ScramOffer { channel_binding: None };
        assert!(matches!(start(&plain, SCRAM_SHA_256_PLUS, format!("{gs2}{bare}").as_bytes(), verifier(), true), Err(ScramError::Protocol(_))));
        assert!(start(&plain, SCRAM_SHA_256, format!("y,,{bare}").as_bytes(), verifier(), true).is_ok());
    }

    #[test]
    fn malformed_messages_are_protocol_errors() {
        let offer = ScramOffer { channel_binding: None };
        for first in ["", "n", "n,,", "n,,n=u", "n,a=x,n=u,r=x", "q,,n=,r=x", "n,,m=ext,n=,r=x", "n,,n=,r="] {
            assert!(matches!(start(&offer, SCRAM_SHA_256, first.as_bytes(), verifier(), true), Err(ScramError::Protocol(_))), "{first:?}");
        }
        let (_, state) = start(&offer, SCRAM_SHA_256, b"n,,n=,r=abc", verifier(), true).unwrap();
        assert!(matches!(state.finish(b"c=biws,r=abc,p=AAAA"), Err(ScramError::Protocol(_))));
    }
}
