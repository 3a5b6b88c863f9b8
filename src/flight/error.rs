//! Errors as gRPC statuses. Flight SQL has no error fields of its own, so the SQLSTATE goes in
//! the `x-flinkwire-sqlstate` metadata entry (and the message), and the gRPC code is the nearest
//! one, so clients that only look at the code still react sensibly.

use tonic::metadata::MetadataValue;
use tonic::{Code, Status};

use crate::results::ResultError;

/// The metadata entry holding the SQLSTATE.
pub const SQLSTATE_HEADER: &str = "x-flinkwire-sqlstate";

/// A status for `sqlstate` with `message` (and a hint on its own line).
pub fn status(sqlstate: &str, message: impl std::fmt::Display, hint: Option<&str>) -> Status {
    let mut text = format!("{message} (SQLSTATE {sqlstate})");
    if let Some(hint) = hint {
        text.push_str("\nHINT: ");
        text.push_str(hint);
    }
    let mut status = Status::new(code_of(sqlstate), text);
    if let Ok(value) = MetadataValue::try_from(sqlstate) {
        status.metadata_mut().insert(SQLSTATE_HEADER, value);
    }
    status
}

/// The gRPC code nearest a SQLSTATE.
fn code_of(sqlstate: &str) -> Code {
    match sqlstate {
        "57014" => Code::Cancelled,
        "42501" => Code::PermissionDenied,
        "3D000" | "42P01" | "26000" | "34000" => Code::NotFound,
        s if s.starts_with("28") => Code::Unauthenticated,
        s if s.starts_with("0A") => Code::Unimplemented,
        s if s.starts_with("53") || s.starts_with("54") => Code::ResourceExhausted,
        s if s.starts_with("08") || s.starts_with("57") => Code::Unavailable,
        s if s.starts_with("XX") || s.starts_with("58") => Code::Internal,
        _ => Code::InvalidArgument,
    }
}

/// A statement's error, as the PostgreSQL front end would report it.
pub fn result_error(err: &ResultError) -> Status {
    status(err.sqlstate().code(), err, err.hint())
}

/// A session that could not be opened.
pub fn open_error(err: &crate::session::OpenError) -> Status {
    status(err.sqlstate().code(), format!("cannot open a Flink session: {err}"), None)
}

/// A PostgreSQL session command (`SET x TO y`, `SHOW x`) that failed.
pub fn local_error(err: &crate::local::LocalError) -> Status {
    match err {
        crate::local::LocalError::Setting(e) => status(e.sqlstate(), e, e.hint()),
        crate::local::LocalError::Result(e) => result_error(e),
    }
}

/// A parameter that cannot be inlined.
pub fn param_error(err: &flinkwire_protocol::params::ParamError) -> Status {
    status(err.sqlstate().code(), err, None)
}

/// A Flight SQL feature flinkwire does not offer.
pub fn unsupported(what: impl std::fmt::Display) -> Status {
    status("0A000", what, None)
}

/// A request that does not make sense (a bad ticket, a bad parameter batch).
pub fn protocol(what: impl std::fmt::Display) -> Status {
    status("08P01", what, None)
}

/// Arrow failed while building an answer: flinkwire's fault, not the client's.
pub fn internal(what: impl std::fmt::Display) -> Status {
    status("XX000", what, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_carry_the_sqlstate() {
        let s = status("42P01", "table t does not exist", Some("check the name"));
        assert_eq!(s.code(), Code::NotFound);
        assert_eq!(s.metadata().get(SQLSTATE_HEADER).and_then(|v| v.to_str().ok()), Some("42P01"));
        assert!(s.message().contains("(SQLSTATE 42P01)") && s.message().ends_with("HINT: check the name"));
        assert_eq!(status("57014", "x", None).code(), Code::Cancelled);
        assert_eq!(status("28P01", "x", None).code(), Code::Unauthenticated);
        assert_eq!(status("08001", "x", None).code(), Code::Unavailable);
    }
}
