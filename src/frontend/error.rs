//! Turning flinkwire's errors into PostgreSQL ErrorResponses.

use flinkwire_protocol::params::ParamError;
use pgwire::error::{ErrorInfo, PgWireError};

use crate::backend::BackendError;
use crate::results::ResultError;

/// An ERROR with the given SQLSTATE, message and optional detail/hint.
pub fn user_error(code: &str, message: impl Into<String>, detail: Option<&str>, hint: Option<&str>) -> PgWireError {
    let mut info = ErrorInfo::new("ERROR".to_owned(), code.to_owned(), message.into());
    info.detail = detail.map(str::to_owned);
    info.hint = hint.map(str::to_owned);
    PgWireError::UserError(Box::new(info))
}

/// A FATAL error: the client's connection ends after it.
pub fn fatal_error(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("FATAL".to_owned(), code.to_owned(), message.into())))
}

impl From<ResultError> for PgWireError {
    fn from(err: ResultError) -> Self {
        let detail = match &err {
            ResultError::Backend(b) => b.detail().map(str::to_owned),
            _ => None,
        };
        user_error(err.sqlstate().code(), err.to_string(), detail.as_deref(), err.hint())
    }
}

impl From<BackendError> for PgWireError {
    fn from(err: BackendError) -> Self {
        user_error(err.sqlstate().code(), err.to_string(), err.detail(), err.hint())
    }
}

/// A parameter that cannot be inlined (bad value, missing value).
pub fn param_error(err: ParamError) -> PgWireError {
    user_error(err.sqlstate().code(), err.to_string(), None, None)
}

/// A cursor or COPY statement flinkwire cannot run, with its SQLSTATE.
pub fn cursor_syntax_error(err: super::cursor_sql::CursorSyntaxError) -> PgWireError {
    user_error(err.code, err.message, None, None)
}
