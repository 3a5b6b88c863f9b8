//! Startup: authentication, server parameters, and opening the client's gateway session.

use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    finish_authentication, protocol_negotiation, save_startup_parameters_to_metadata,
    DefaultServerParameterProvider, LoginInfo, ServerParameterProvider, StartupHandler,
};
use pgwire::api::{ClientInfo, PgWireConnectionState, METADATA_APPLICATION_NAME};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::api::PidSecretKeyGenerator;
use pgwire::messages::startup::Authentication;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tracing::info;

use super::error::fatal_error;
use super::Connection;
use crate::session::{ClientSession, ConnectRequest};

/// The PostgreSQL version flinkwire reports. Clients switch features on it; 16 is what the
/// catalog emulation and the wire behaviour follow.
pub const POSTGRES_VERSION: &str = "16.6";

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
                if self.ctx.config.users.is_empty() {
                    // Trust: allowed only on a loopback listener (checked when loading config).
                    self.admit(client).await?;
                } else {
                    client.set_state(PgWireConnectionState::AuthenticationInProgress);
                    client
                        .send(PgWireBackendMessage::Authentication(Authentication::CleartextPassword))
                        .await?;
                }
            }
            PgWireFrontendMessage::PasswordMessageFamily(pwd) => {
                let pwd = pwd.into_password()?;
                let login = LoginInfo::from_client_info(client);
                let user = login.user().unwrap_or_default().to_owned();
                let known = self.ctx.config.users.iter().any(|u| u.name == user && u.password == pwd.password);
                if !known {
                    return Err(fatal_error(
                        "28P01",
                        format!("password authentication failed for user \"{user}\""),
                    ));
                }
                self.admit(client).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

impl Connection {
    /// Opens the gateway session and completes the startup handshake.
    async fn admit<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let user = client.metadata().get("user").cloned().unwrap_or_default();
        let name = format!("flinkwire:{user}@{}", client.socket_addr());
        let request = ConnectRequest {
            user: user.clone(),
            database: client.metadata().get("database").cloned(),
            cluster: client.metadata().get("options").and_then(|o| ConnectRequest::cluster_option(o)),
            session_name: name,
            // policy branch (issue 12 items 3-5): the role's checks and the audit log's fields.
            // `auth_method` is a placeholder until the authentication rewrite sets the real one.
            security: self.ctx.security.clone(),
            startup_options: client.metadata().get("options").map(|o| crate::results::settings::parse_startup_options(o)).unwrap_or_default(),
            client_addr: client.socket_addr().to_string(),
            tls: client.is_secure(),
            auth_method: Some(if self.ctx.config.users.is_empty() { "trust" } else { "password" }.to_owned()),
        };
        let session = ClientSession::connect(&self.ctx.clusters, &request)
            .await
            .map_err(|e| fatal_error(e.sqlstate().code(), format!("cannot open a Flink session: {e}")))?;
        info!(%user, session = %session.handle(), peer = %client.socket_addr(),
              cluster = session.cluster().map(|c| c.name.as_str()).unwrap_or("-"),
              environment = session.environment().unwrap_or("-"), "client connected");
        session.settings().apply_startup(client.metadata());
        let _ = self.session.set(session);

        let (pid, secret) = self.ctx.pid_keys.generate(&*client);
        self.ctx.cancels.register(pid, &secret, &self.canceller);
        client.set_pid_and_secret_key(pid, secret);
        let flink_version = self.session.get().and_then(|s| s.cluster()).and_then(|c| c.flink_version());
        finish_authentication(client, &StartupParameters { base: server_parameters(client), flink_version }).await
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

