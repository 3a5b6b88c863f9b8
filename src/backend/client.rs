//! HTTP plumbing and REST API version negotiation for one gateway endpoint.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flinkwire_protocol::rest::{ApiVersion, ApiVersionsResponse, GetInfoResponse};
use flinkwire_protocol::sqlstate::classify_error_body;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::OnceCell;
use tracing::{debug, warn};

use super::error::BackendError;

/// A client of one SQL Gateway REST endpoint. Cheap to clone; clones share the connection pool
/// and the negotiated version.
#[derive(Debug, Clone)]
pub struct GatewayClient {
    inner: std::sync::Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base_url: String,
    http: reqwest::Client,
    /// Negotiated lazily, so a gateway that is down at startup does not stop flinkwire.
    version: OnceCell<ApiVersion>,
    /// A version forced by configuration instead of negotiation.
    forced_version: Option<ApiVersion>,
    /// Sessions opened on this gateway and not (yet) closed.
    open_sessions: AtomicUsize,
    /// Told about every request (the server's metrics); set once after construction.
    observer: std::sync::OnceLock<std::sync::Arc<dyn RequestObserver>>,
}

/// Hears about every request a [`GatewayClient`] makes (`flinkwire_gateway_requests_total`).
pub trait RequestObserver: Send + Sync + std::fmt::Debug {
    /// `endpoint` is the method and path template (`GET /sessions/{}/operations/{}/result/{}`);
    /// `status` the HTTP status, `None` when no answer came (connect error, timeout).
    fn observe(&self, endpoint: &str, status: Option<u16>, elapsed: Duration);
}

/// `method path` with the version prefix, the query string and every id or token replaced by
/// `{}`: a bounded set of values, for metric labels.
pub fn endpoint_template(method: &Method, path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    let mut segments = path.split('/').filter(|s| !s.is_empty()).peekable();
    // `/v4/…`: the negotiated version is not part of the endpoint.
    if segments.peek().is_some_and(|s| {
        s.len() >= 2 && s.starts_with('v') && s[1..].bytes().all(|b| b.is_ascii_digit())
    }) {
        segments.next();
    }
    let mut out = format!("{method} ");
    for segment in segments {
        let is_word = segment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_');
        out.push('/');
        out.push_str(if is_word { segment } else { "{}" });
    }
    if out.ends_with(' ') {
        out.push('/');
    }
    out
}

/// The largest answer read from a gateway: far above any result page (the gateway pages results
/// by row count), small enough that a gateway answering garbage cannot exhaust memory.
const MAX_BODY_BYTES: usize = 256 << 20;

/// Idle HTTP connections kept open to one gateway.
const MAX_IDLE_CONNECTIONS: usize = 16;

impl GatewayClient {
    /// A client for the gateway at `base_url` (e.g. `http://127.0.0.1:8083`).
    pub fn new(
        base_url: &str,
        request_timeout: Duration,
        forced_version: Option<ApiVersion>,
    ) -> Result<Self, BackendError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            // A burst of clients opens many connections at once; keep only a bounded number
            // idle afterwards instead of every one of them for a minute.
            .pool_max_idle_per_host(MAX_IDLE_CONNECTIONS)
            .build()
            .map_err(|e| BackendError::from_reqwest(base_url, e))?;
        Ok(Self {
            inner: std::sync::Arc::new(Inner {
                base_url: base_url.trim_end_matches('/').to_owned(),
                http,
                version: OnceCell::new(),
                forced_version,
                open_sessions: AtomicUsize::new(0),
                observer: Default::default(),
            }),
        })
    }

    /// Reports every request from now on to `observer` (only the first call takes effect).
    pub fn observe_with(&self, observer: std::sync::Arc<dyn RequestObserver>) {
        let _ = self.inner.observer.set(observer);
    }

    /// Sessions this client opened that the gateway may still hold: not closed yet, or whose
    /// close is still being retried.
    pub fn open_sessions(&self) -> usize {
        self.inner.open_sessions.load(Ordering::Relaxed)
    }

    pub(crate) fn session_opened(&self) {
        self.inner.open_sessions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn session_gone(&self) {
        self.inner.open_sessions.fetch_sub(1, Ordering::Relaxed);
    }

    /// The endpoint this client talks to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The REST API version in use, negotiated with `GET /api_versions` on first use.
    pub async fn version(&self) -> Result<ApiVersion, BackendError> {
        if let Some(v) = self.inner.forced_version {
            return Ok(v);
        }
        self.inner
            .version
            .get_or_try_init(|| async {
                let offered: ApiVersionsResponse =
                    self.request(Method::GET, "/api_versions", None::<&()>).await?;
                let version = ApiVersion::negotiate(&offered.versions).ok_or_else(|| {
                    BackendError::NoCommonVersion {
                        url: self.inner.base_url.clone(),
                        offered: offered.versions.clone(),
                    }
                })?;
                debug!(%version, offered = ?offered.versions, "negotiated SQL Gateway REST API version");
                Ok(version)
            })
            .await
            .copied()
    }

    /// `GET /info`: product name and Flink version.
    pub async fn info(&self) -> Result<GetInfoResponse, BackendError> {
        let path = self.versioned("/info").await?;
        self.request(Method::GET, &path, None::<&()>).await
    }

    /// Prefixes `path` with the negotiated version, e.g. `/v4/sessions`.
    pub(crate) async fn versioned(&self, path: &str) -> Result<String, BackendError> {
        Ok(format!("/{}{}", self.version().await?.path_prefix(), path))
    }

    /// Reads an answer's body, refusing one longer than [`MAX_BODY_BYTES`].
    async fn read_body(&self, mut resp: reqwest::Response, method: &Method, path: &str) -> Result<Vec<u8>, BackendError> {
        let expected = resp.content_length().unwrap_or(0).min(MAX_BODY_BYTES as u64) as usize;
        let mut body = Vec::with_capacity(expected);
        while let Some(chunk) = resp.chunk().await.map_err(|e| BackendError::from_reqwest(&self.inner.base_url, e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(BackendError::Protocol(format!("{method} {path}: the answer exceeds {MAX_BODY_BYTES} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Sends one request and decodes the JSON answer; error bodies become classified errors.
    pub(crate) async fn request<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, BackendError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let bytes = self.request_body(method.clone(), path, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            BackendError::Protocol(format!(
                "{method} {path}: {e}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ))
        })
    }

    /// Sends one request and answers the body of a 200 answer, undecoded; error bodies become
    /// classified errors.
    pub(crate) async fn request_body<B>(&self, method: Method, path: &str, body: Option<&B>) -> Result<Vec<u8>, BackendError>
    where
        B: Serialize + ?Sized,
    {
        let url = format!("{}{}", self.inner.base_url, path);
        let mut req = self.inner.http.request(method.clone(), &url);
        if let Some(body) = body {
            req = req.json(body);
        }
        let started = std::time::Instant::now();
        let sent = req.send().await;
        let status = sent.as_ref().ok().map(|r| r.status().as_u16());
        let body = match sent {
            Ok(resp) => self.read_body(resp, &method, path).await,
            Err(e) => Err(BackendError::from_reqwest(&self.inner.base_url, e)),
        };
        if let Some(observer) = self.inner.observer.get() {
            observer.observe(&endpoint_template(&method, path), status, started.elapsed());
        }
        let bytes = body?;
        // An answer came (`body` is its), so there is a status.
        let status = status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status != StatusCode::OK {
            let text = String::from_utf8_lossy(&bytes);
            // The whole body (with the Java stack trace) goes to the log, never to the client.
            warn!(%method, %path, status = status.as_u16(), body = %text, "SQL Gateway error");
            return Err(BackendError::Gateway(classify_error_body(status.as_u16(), &text)));
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_templates_without_ids() {
        let fetch = "/v4/sessions/5a1f0f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/operations/9b8a7c6d-1234-4e5f-8a9b-0c1d2e3f4a5b/result/17?rowFormat=JSON";
        assert_eq!(
            endpoint_template(&Method::GET, fetch),
            "GET /sessions/{}/operations/{}/result/{}"
        );
        assert_eq!(
            endpoint_template(&Method::POST, "/v2/sessions"),
            "POST /sessions"
        );
        assert_eq!(
            endpoint_template(&Method::GET, "/api_versions"),
            "GET /api_versions"
        );
        assert_eq!(
            endpoint_template(&Method::DELETE, "/v4/sessions/x1/operations/y2/close"),
            "DELETE /sessions/{}/operations/{}/close"
        );
        assert_eq!(endpoint_template(&Method::GET, "/"), "GET /");
    }
}
