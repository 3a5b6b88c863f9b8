//! Errors of the back end, each with the SQLSTATE the client sees.

use flinkwire_protocol::sqlstate::{GatewayError, SqlState};

/// Why a gateway call failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The gateway cannot be reached at all (connection refused, DNS, TLS, timeout).
    #[error("cannot reach the Flink SQL Gateway at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The gateway answered with an error body; classified into a SQLSTATE.
    #[error("{}", .0.message)]
    Gateway(GatewayError),
    /// The gateway answered something this client does not understand.
    #[error("unexpected answer from the Flink SQL Gateway: {0}")]
    Protocol(String),
    /// The gateway offers no REST API version this client speaks.
    #[error("the Flink SQL Gateway at {url} offers none of the REST API versions V1-V4 (it offers {offered:?})")]
    NoCommonVersion { url: String, offered: Vec<String> },
}

impl BackendError {
    /// The SQLSTATE a PostgreSQL client should see for this error.
    pub fn sqlstate(&self) -> SqlState {
        match self {
            Self::Unreachable { .. } | Self::NoCommonVersion { .. } => SqlState::CONNECTION_FAILURE,
            Self::Gateway(e) => e.sqlstate,
            Self::Protocol(_) => SqlState::INTERNAL_ERROR,
        }
    }

    /// Whether the same request may succeed later: the gateway was unreachable, answered
    /// garbage, or reported a connection-class failure other than a lost session.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } | Self::Protocol(_) => true,
            Self::Gateway(e) => e.sqlstate.is_connection_class() && !e.is_session_lost(),
            Self::NoCommonVersion { .. } => false,
        }
    }

    /// Extra detail for the client's ErrorResponse, if any.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Gateway(e) => e.detail.as_deref(),
            _ => None,
        }
    }

    /// A hint for the client's ErrorResponse, if any.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::Gateway(e) => e.hint.as_deref(),
            _ => None,
        }
    }

    /// A transport failure. flinkwire decodes bodies itself (serde_json), so reqwest's own
    /// "error decoding response body" only means the body stopped arriving (the connection was
    /// cut mid-answer): a connection failure like any other, class 08.
    pub(crate) fn from_reqwest(url: &str, err: reqwest::Error) -> Self {
        // Walk the source chain: reqwest's own message ("error sending request") says nothing.
        let mut reason = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            reason = cause.to_string();
            source = cause.source();
        }
        Self::Unreachable { url: url.to_owned(), reason }
    }
}
