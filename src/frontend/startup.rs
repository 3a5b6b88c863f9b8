//! Startup: TLS requirement, connection limits, authentication (SCRAM-SHA-256(-PLUS), MD5,
//! cleartext over TLS, client certificates, trust), server parameters, and opening the client's
//! gateway session.

use crate::admin::metrics::LoginOutcome;
use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata,
    DefaultServerParameterProvider, ServerParameterProvider, StartupHandler,
};
use pgwire::api::{ClientInfo, PgWireConnectionState, METADATA_APPLICATION_NAME};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::startup::{Authentication, PasswordMessageFamily};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tracing::info;

use super::error::fatal_error;
use crate::auth::scram::{self, ScramError, ScramInProgress, ScramOffer};
use crate::auth::verifier::{Md5Hash, ScramVerifier};
use crate::auth::{Account, AuthMethod};
use super::Connection;
use crate::session::{ClientSession, ConnectRequest};

/// The PostgreSQL version flinkwire reports. Clients switch features on it; 16 is what the
/// catalog emulation and the wire behaviour follow.
pub const POSTGRES_VERSION: &str = "16.6";

/// Where a connection is in logging in (see `docs/security.md`, "Authentication").
#[derive(Default)]
pub(super) enum Login {
    /// Waiting for the startup packet.
    #[default]
    Start,
    /// AuthenticationSASL sent, waiting for the client's first SCRAM message.
    ScramStart { offer: ScramOffer, verifier: ScramVerifier, known: bool },
    /// AuthenticationSASLContinue sent, waiting for the client's proof.
    ScramProof { exchange: ScramInProgress },
    /// AuthenticationMD5Password sent with `salt`.
    Md5 { salt: [u8; 4], hash: Md5Hash },
    /// AuthenticationCleartextPassword sent (TLS only).
    Cleartext { account: Account },
    /// Authenticated, or refused.
    Over,
}

#[async_trait]
impl StartupHandler for Connection {
    async fn on_startup<C>(&self, client: &mut C, message: PgWireFrontendMessage) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match message {
            PgWireFrontendMessage::Startup(ref startup) => {
                protocol_negotiation(client, startup).await?;
                save_startup_parameters_to_metadata(client, startup);
                self.begin_login(client).await
            }
            PgWireFrontendMessage::PasswordMessageFamily(message) => self.continue_login(client, message).await,
            _ => Ok(()),
        }
    }
}

impl Connection {
    /// After the startup packet: refuses what the configuration does not allow, then asks for
    /// the user's credentials (or admits a trusted one).
    async fn begin_login<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        let secure = client.is_secure();
        if self.ctx.tls.required() && !secure {
            return Err(self.refuse(client, None, "28000", format!(
                "flinkwire requires TLS: connect with sslmode=require (or verify-full) (user \"{user}\", no encryption)"
            )));
        }
        if self.server_slot.is_none() {
            return Err(self.refuse(client, None, "53300", "sorry, too many clients already".to_owned()));
        }
        if self.ctx.accounts.trust_all() {
            // Trust: allowed only on a loopback listener (checked when loading config).
            return self.admit(client, AuthMethod::Trust).await;
        }
        let account = self.ctx.accounts.get(&user).cloned();
        let method = account.as_ref().map_or(AuthMethod::ScramSha256, |a| a.method);
        let login = match (method, account) {
            (AuthMethod::Trust, _) => return self.admit(client, AuthMethod::Trust).await,
            (AuthMethod::Cert, _) => return self.admit_certificate(client, &user).await,
            // An unknown user goes through SCRAM with a made-up verifier and fails at the proof,
            // exactly like a wrong password (no user enumeration).
            (AuthMethod::ScramSha256, account) => {
                let (verifier, known) = match account.and_then(|a| a.credentials.scram) {
                    Some(v) => (v, true),
                    None => (self.ctx.accounts.mock_verifier(&user), false),
                };
                let channel_binding = if secure { self.tls_end_point.clone() } else { None };
                let offer = ScramOffer { channel_binding };
                client.send(PgWireBackendMessage::Authentication(Authentication::SASL(offer.mechanisms()))).await?;
                Login::ScramStart { offer, verifier, known }
            }
            (AuthMethod::Md5, Some(account)) => {
                let Some(hash) = account.credentials.md5 else { return Err(self.auth_failed(client, &user, method).await) };
                let mut salt = [0u8; 4];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
                    .map_err(|_| fatal_error("XX000", "random number generator failed"))?;
                client.send(PgWireBackendMessage::Authentication(Authentication::MD5Password(salt.to_vec()))).await?;
                Login::Md5 { salt, hash }
            }
            (AuthMethod::Password, Some(account)) => {
                if !secure {
                    return Err(self.refuse(client, Some(method), "28000", format!(
                        "password authentication for user \"{user}\" is only allowed over TLS: connect with sslmode=require"
                    )));
                }
                client.send(PgWireBackendMessage::Authentication(Authentication::CleartextPassword)).await?;
                Login::Cleartext { account }
            }
            (AuthMethod::Md5 | AuthMethod::Password, None) => unreachable!("unknown users get SCRAM"),
        };
        client.set_state(PgWireConnectionState::AuthenticationInProgress);
        *self.login.lock().unwrap_or_else(|e| e.into_inner()) = login;
        Ok(())
    }

    /// A password message: the next step of the exchange begun in [`Self::begin_login`].
    async fn continue_login<C>(&self, client: &mut C, message: PasswordMessageFamily) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        let login = std::mem::replace(&mut *self.login.lock().unwrap_or_else(|e| e.into_inner()), Login::Over);
        match login {
            Login::ScramStart { offer, verifier, known } => {
                let initial = message.into_sasl_initial_response()?;
                let data = initial.data.as_deref().unwrap_or_default();
                match scram::start(&offer, &initial.auth_method, data, verifier, known) {
                    Ok((server_first, exchange)) => {
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLContinue(server_first.into())))
                            .await?;
                        *self.login.lock().unwrap_or_else(|e| e.into_inner()) = Login::ScramProof { exchange };
                        Ok(())
                    }
                    Err(err) => Err(self.scram_failed(client, &user, err).await),
                }
            }
            Login::ScramProof { exchange } => {
                let response = message.into_sasl_response()?;
                match exchange.finish(&response.data) {
                    Ok(server_final) => {
                        client
                            .send(PgWireBackendMessage::Authentication(Authentication::SASLFinal(server_final.into())))
                            .await?;
                        self.admit(client, AuthMethod::ScramSha256).await
                    }
                    Err(err) => Err(self.scram_failed(client, &user, err).await),
                }
            }
            Login::Md5 { salt, hash } => {
                let password = message.into_password()?;
                if hash.matches_response(&password.password, &salt) {
                    self.admit(client, AuthMethod::Md5).await
                } else {
                    Err(self.auth_failed(client, &user, AuthMethod::Md5).await)
                }
            }
            Login::Cleartext { account } => {
                let password = message.into_password()?;
                if account.matches_cleartext(&user, &password.password) {
                    self.admit(client, AuthMethod::Password).await
                } else {
                    Err(self.auth_failed(client, &user, AuthMethod::Password).await)
                }
            }
            Login::Start | Login::Over => Err(fatal_error("08P01", "unexpected password message")),
        }
    }

    /// `auth = "cert"`: the TLS handshake verified the client's certificate against
    /// `tls.client_ca`; its common name must be the user name.
    async fn admit_certificate<C>(&self, client: &mut C, user: &str) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let certificate = self.client_certificate.get().filter(|_| client.is_secure());
        let Some(certificate) = certificate else {
            return Err(self.refuse(client, Some(AuthMethod::Cert), "28000", "connection requires a valid client certificate".to_owned()));
        };
        if crate::tls::certificate_common_name(certificate).as_deref() != Some(user) {
            return Err(self.auth_failed_with(client, user, AuthMethod::Cert, "28000",
                format!("certificate authentication failed for user \"{user}\"")).await);
        }
        self.admit(client, AuthMethod::Cert).await
    }

    async fn scram_failed<C: ClientInfo>(&self, client: &C, user: &str, err: ScramError) -> PgWireError {
        match err {
            ScramError::WrongProof => self.auth_failed(client, user, AuthMethod::ScramSha256).await,
            ScramError::Protocol(message) => self.refuse(client, Some(AuthMethod::ScramSha256), "08P01", message),
        }
    }

    /// A wrong password or an unknown user (the same answer for both), after a delay that
    /// grows with the address's recent failures.
    async fn auth_failed<C: ClientInfo>(&self, client: &C, user: &str, method: AuthMethod) -> PgWireError {
        self.auth_failed_with(client, user, method, "28P01", format!("password authentication failed for user \"{user}\"")).await
    }

    async fn auth_failed_with<C: ClientInfo>(&self, client: &C, user: &str, method: AuthMethod, code: &str, message: String) -> PgWireError {
        let delay = self.ctx.auth_failures.failed(client.socket_addr().ip());
        info!(%user, peer = %client.socket_addr(), method = method.name(), delay_ms = delay.as_millis() as u64, "authentication failed");
        tokio::time::sleep(delay).await;
        self.refuse(client, Some(method), code, message)
    }

    /// A FATAL error ending the login, logged and in the audit log.
    fn refuse<C: ClientInfo>(&self, client: &C, method: Option<AuthMethod>, code: &str, message: String) -> PgWireError {
        let user = client.metadata().get("user").map(String::as_str).unwrap_or_default();
        info!(%user, peer = %client.socket_addr(), tls = client.is_secure(), method = method.map_or("-", AuthMethod::name),
              sqlstate = code, "login refused: {message}");
        let auth_failed = code.starts_with("28");
        self.ctx.metrics.login(if auth_failed { LoginOutcome::AuthFailed } else { LoginOutcome::Refused });
        let audit = &self.ctx.security.audit;
        audit.connection(&crate::audit::ConnectionEvent {
            connection_id: audit.next_connection_id(),
            user: user.to_owned(),
            client_addr: client.socket_addr().to_string(),
            tls: client.is_secure(),
            auth_method: method.map(|m| m.name().to_owned()),
            outcome: if auth_failed { "auth_failed" } else { "refused" },
            sqlstate: Some(code.to_owned()),
            message: Some(message.clone()),
            role: None,
            cluster: None,
        });
        fatal_error(code, message)
    }
}

impl Connection {
    /// Opens the gateway session and completes the startup handshake.
    async fn admit<C>(&self, client: &mut C, method: AuthMethod) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        self.ctx.auth_failures.succeeded(client.socket_addr().ip());
        let Some(user_slot) = self.ctx.admission.enter_user(&user) else {
            return Err(self.refuse(client, Some(method), "53300", format!("too many connections for role \"{user}\"")));
        };
        let _ = self.user_slot.set(user_slot);
        let name = format!("flinkwire:{user}@{}", client.socket_addr());
        let request = ConnectRequest {
            user: user.clone(),
            database: client.metadata().get("database").cloned(),
            cluster: client.metadata().get("options").and_then(|o| ConnectRequest::cluster_option(o)),
            session_name: name,
            security: self.ctx.security.clone(),
            startup_options: client.metadata().get("options").map(|o| crate::results::settings::parse_startup_options(o)).unwrap_or_default(),
            client_addr: client.socket_addr().to_string(),
            tls: client.is_secure(),
            auth_method: Some(method.name().to_owned()),
            metrics: self.ctx.metrics.clone(),
            activity: self.ctx.activity.clone(),
        };
        let session = ClientSession::connect(&self.ctx.clusters, &request)
            .await
            .map_err(|e| {
                // The gateway or the role refused: not through `refuse`, so counted here.
                self.ctx.metrics.login(LoginOutcome::Refused);
                e
            })
            .map_err(|e| match e.sqlstate().code() {
                // The role's refusal says which rule; it is not a Flink problem.
                "42501" => fatal_error("42501", e.to_string()),
                code => fatal_error(code, format!("cannot open a Flink session: {e}")),
            })?;
        info!(%user, session = %session.handle(), peer = %client.socket_addr(), tls = client.is_secure(), method = method.name(),
              cluster = session.cluster().map(|c| c.name.as_str()).unwrap_or("-"),
              environment = session.environment().unwrap_or("-"), "client connected");
        session.settings().apply_startup(client.metadata());
        let _ = self.session.set(session);

        let info = crate::activity::BackendInfo {
            user: user.clone(),
            database: client.metadata().get("database").cloned(),
            client: client.socket_addr(),
            started: chrono::Utc::now(),
            cluster: self
                .session
                .get()
                .and_then(|s| s.cluster())
                .map(|c| c.name.clone()),
            role: self.session.get().and_then(|s| s.role_name()),
        };
        let long_key = client.protocol_version() != pgwire::messages::ProtocolVersion::PROTOCOL3_0;
        let registration = self.ctx.activity.register(
            info,
            long_key,
            self.canceller.clone(),
            self.shutdown.clone(),
        );
        let (pid, secret) = registration.backend().key();
        let _ = self.backend.set(registration);
        if let Some(session) = self.session.get() {
            session.set_backend_pid(pid);
        }
        client.set_pid_and_secret_key(pid, secret);
        let flink_version = self.session.get().and_then(|s| s.cluster()).and_then(|c| c.flink_version());
        finish_authentication(client, &StartupParameters { base: server_parameters(client), flink_version }).await?;
        self.ctx.metrics.login(LoginOutcome::Ok);
        Ok(())
    }
}

/// PostgreSQL's parameters plus `flink_version`, so drivers (the flinkwire JDBC driver's
/// `getDatabaseProductVersion`) can tell which Flink answers.
struct StartupParameters {
    base: DefaultServerParameterProvider,
    flink_version: Option<String>,
}

impl ServerParameterProvider for StartupParameters {
    fn server_parameters<C: ClientInfo>(&self, client: &C) -> Option<HashMap<String, String>> {
        let mut params = self.base.server_parameters(client)?;
        if let Some(version) = &self.flink_version {
            params.insert("flink_version".to_owned(), version.clone());
        }
        Some(params)
    }
}

/// The parameters real clients check at startup (PgJDBC insists on UTF8 and an ISO DateStyle).
fn server_parameters<C: ClientInfo>(client: &C) -> DefaultServerParameterProvider {
    let mut params = DefaultServerParameterProvider::default();
    params.server_version = format!("{POSTGRES_VERSION} (flinkwire {})", env!("CARGO_PKG_VERSION"));
    params.server_encoding = "UTF8".to_owned();
    params.client_encoding = Some("UTF8".to_owned());
    params.date_style = "ISO, MDY".to_owned();
    params.interval_style = "postgres".to_owned();
    params.time_zone = "UTC".to_owned();
    params.integer_datetimes = true;
    params.standard_conforming_strings = true;
    params.is_superuser = false;
    params.application_name = Some(client.metadata().get(METADATA_APPLICATION_NAME).cloned().unwrap_or_default());
    params
}

