//! The admin listener: plain HTTP for orchestrators and Prometheus, off unless `[admin] listen`
//! is set. `/livez` (the process serves), `/readyz` (a cluster can take queries, not draining),
//! `/metrics` ([`metrics`]). It runs beside the PostgreSQL listener and keeps answering while
//! the server drains, so an orchestrator sees `/readyz` fail instead of a closed port.

pub mod metrics;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tracing::{debug, info};

pub use metrics::Metrics;

use crate::server::ServerContext;

/// `[admin]`: where the admin HTTP listener binds; absent = no listener.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Address for `/livez`, `/readyz` and `/metrics` (e.g. `127.0.0.1:9187`). Plain HTTP with no
    /// authentication: bind it to a private address.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
}

/// Serves admin requests on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, ctx: Arc<ServerContext>) {
    if let Ok(addr) = listener.local_addr() {
        info!(admin = %addr, "admin listener is ready");
    }
    loop {
        let (socket, _) = match listener.accept().await {
            Ok(pair) => pair,
            Err(err) => {
                debug!(cause = %err, "admin accept failed");
                continue;
            }
        };
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let ctx = ctx.clone();
                async move { Ok::<_, Infallible>(answer(&ctx, &request)) }
            });
            let io = hyper_util::rt::TokioIo::new(socket);
            if let Err(err) = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await {
                debug!(cause = %err, "admin connection ended with an error");
            }
        });
    }
}

/// One admin request's answer.
fn answer<B>(ctx: &ServerContext, request: &Request<B>) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
    }
    match request.uri().path() {
        "/livez" => text(StatusCode::OK, "ok\n"),
        "/readyz" => match readiness(ctx) {
            Ok(()) => text(StatusCode::OK, "ready\n"),
            Err(reason) => text(StatusCode::SERVICE_UNAVAILABLE, &format!("not ready: {reason}\n")),
        },
        "/metrics" => {
            let mut response = Response::new(Full::new(Bytes::from(ctx.metrics.render(ctx))));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
            );
            response
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Ready = not draining and at least one cluster healthy with its metadata loaded.
fn readiness(ctx: &ServerContext) -> Result<(), &'static str> {
    if ctx.shutdown.is_draining() {
        return Err("draining");
    }
    if !ctx.clusters.any_ready() {
        return Err("no cluster is healthy with its metadata snapshot loaded");
    }
    Ok(())
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}
