//! TLS for the PostgreSQL listener: the `[tls]` configuration, certificates loaded into a rustls
//! acceptor (ALPN `postgresql`, optional client-certificate verification), and reloading them on
//! SIGHUP without touching open connections.
//!
//! A broken configuration is an error at startup, never a silent fall back to plaintext; a
//! broken reload keeps the certificates in use and logs why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use pgwire::tokio::TlsAcceptor;
use ring::digest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use serde::{Deserialize, Serialize};

/// `[tls]`: certificate, key, client CA and how TLS is required.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, the server's certificate first.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// PEM CA certificates that client certificates are verified against (for `auth = "cert"`).
    /// Without it clients are not asked for a certificate.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
    /// `disable`, `allow` or `require`; default `allow` when `cert` is set, else `disable`.
    #[serde(default)]
    pub mode: Option<TlsMode>,
}

/// Whether clients may or must use TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// No TLS: an SSLRequest is answered `N`.
    Disable,
    /// TLS for clients that ask, plaintext for the others.
    Allow,
    /// A plaintext startup is refused with FATAL 28000.
    Require,
}

impl TlsConfig {
    /// The mode in effect (see [`TlsConfig::mode`]).
    pub fn effective_mode(&self) -> TlsMode {
        self.mode.unwrap_or(if self.cert.is_some() { TlsMode::Allow } else { TlsMode::Disable })
    }

    /// Checks the keys' consistency (the files themselves are read by [`TlsIdentity::load`]).
    pub fn validate(&self) -> Result<(), String> {
        let mode = self.effective_mode();
        match (&self.cert, &self.key) {
            (Some(_), None) | (None, Some(_)) => return Err("tls.cert and tls.key go together".into()),
            (None, None) if mode != TlsMode::Disable => {
                return Err(format!("tls.mode = {:?} needs tls.cert and tls.key", mode).to_lowercase())
            }
            (None, None) if self.client_ca.is_some() => return Err("tls.client_ca needs tls.cert and tls.key".into()),
            _ => {}
        }
        Ok(())
    }
}

/// A loaded certificate and key, ready to accept TLS connections.
pub struct TlsIdentity {
    pub acceptor: TlsAcceptor,
    /// The same certificate for the Flight SQL listener: gRPC clients insist on ALPN `h2`.
    pub grpc_acceptor: TlsAcceptor,
    /// `tls-server-end-point` channel-binding data (RFC 5929): the hash of the server
    /// certificate, for SCRAM-SHA-256-PLUS.
    pub end_point: Vec<u8>,
    /// Whether client certificates are verified (a `client_ca` is configured).
    pub verifies_clients: bool,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").field("verifies_clients", &self.verifies_clients).finish_non_exhaustive()
    }
}

/// A TLS configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("tls: {0}")]
pub struct TlsError(String);

fn read_error(what: &str, path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError(format!("cannot read {what} {}: {e}", path.display()))
}

impl TlsIdentity {
    /// Loads the configured files; `Ok(None)` when TLS is disabled.
    pub fn load(config: &TlsConfig) -> Result<Option<Self>, TlsError> {
        config.validate().map_err(TlsError)?;
        let (Some(cert_path), Some(key_path)) = (&config.cert, &config.key) else { return Ok(None) };
        if config.effective_mode() == TlsMode::Disable {
            return Ok(None);
        }
        let chain = CertificateDer::pem_file_iter(cert_path)
            .map_err(|e| read_error("tls.cert", cert_path, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| read_error("tls.cert", cert_path, e))?;
        let Some(leaf) = chain.first() else {
            return Err(TlsError(format!("tls.cert {} holds no certificate", cert_path.display())));
        };
        let end_point = end_point_hash(leaf)?;
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| read_error("tls.key", key_path, e))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?;
        let builder = match &config.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca_path) => {
                let mut roots = RootCertStore::empty();
                for ca in CertificateDer::pem_file_iter(ca_path).map_err(|e| read_error("tls.client_ca", ca_path, e))? {
                    let ca = ca.map_err(|e| read_error("tls.client_ca", ca_path, e))?;
                    roots.add(ca).map_err(|e| read_error("tls.client_ca", ca_path, e))?;
                }
                if roots.is_empty() {
                    return Err(TlsError(format!("tls.client_ca {} holds no certificate", ca_path.display())));
                }
                // Clients without a certificate may still connect: users with other
                // authentication methods do not need one; `auth = "cert"` users are refused then.
                let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .allow_unauthenticated()
                    .build()
                    .map_err(|e| TlsError(format!("tls.client_ca: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut server = builder
            .with_single_cert(chain, key)
            .map_err(|e| TlsError(format!("tls.cert and tls.key do not go together: {e}")))?;
        let mut grpc = server.clone();
        grpc.alpn_protocols = vec![b"h2".to_vec()];
        // PostgreSQL 17's `sslnegotiation=direct` insists on this ALPN protocol.
        server.alpn_protocols = vec![b"postgresql".to_vec()];
        Ok(Some(TlsIdentity {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            grpc_acceptor: TlsAcceptor::from(Arc::new(grpc)),
            end_point,
            verifies_clients: config.client_ca.is_some(),
        }))
    }
}

/// RFC 5929 `tls-server-end-point`: the certificate hashed with its signature's hash function,
/// SHA-256 when that is MD5 or SHA-1.
fn end_point_hash(cert: &CertificateDer<'_>) -> Result<Vec<u8>, TlsError> {
    use x509_certificate::SignatureAlgorithm as S;
    let parsed = x509_certificate::X509Certificate::from_der(cert.as_ref())
        .map_err(|e| TlsError(format!("tls.cert: cannot parse the certificate: {e}")))?;
    let algorithm = match parsed.signature_algorithm() {
        Some(S::RsaSha384 | S::EcdsaSha384) => &digest::SHA384,
        Some(S::RsaSha512) => &digest::SHA512,
        // SHA-256 signatures, SHA-1 (upgraded to SHA-256 by the RFC), and the rest (Ed25519:
        // no hash of its own; PostgreSQL also falls back to SHA-256).
        _ => &digest::SHA256,
    };
    Ok(digest::digest(algorithm, cert.as_ref()).as_ref().to_vec())
}

/// The common name of a client certificate's subject (the user name for `auth = "cert"`).
pub fn certificate_common_name(cert: &CertificateDer<'_>) -> Option<String> {
    x509_certificate::X509Certificate::from_der(cert.as_ref()).ok()?.subject_common_name()
}

/// The TLS identity in use, swapped on reload. Connections take the current one when they
/// start; a reload does not affect connections already open.
#[derive(Debug)]
pub struct TlsStore {
    config: TlsConfig,
    current: RwLock<Option<Arc<TlsIdentity>>>,
}

impl TlsStore {
    /// Loads the configured certificate (an error stops the server from starting).
    pub fn new(config: &TlsConfig) -> Result<Self, TlsError> {
        let current = TlsIdentity::load(config)?.map(Arc::new);
        Ok(TlsStore { config: config.clone(), current: RwLock::new(current) })
    }

    /// The identity for a new connection.
    pub fn current(&self) -> Option<Arc<TlsIdentity>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether plaintext clients are refused.
    pub fn required(&self) -> bool {
        self.config.effective_mode() == TlsMode::Require
    }

    /// Reads the files again; on error keeps the identity in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = TlsIdentity::load(&self.config)?.map(Arc::new);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }
}
