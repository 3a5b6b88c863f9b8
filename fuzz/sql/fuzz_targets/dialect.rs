//! PostgreSQL → Flink dialect translation (`flinkwire::dialect`): `to_flink` on every query a
//! client sends, `backtick_identifiers` (its token-level pass), and `names::ResultNames` (the
//! PostgreSQL column names of the same text).
//!
//! Invariants beyond "does not panic":
//! - `to_flink` returns the input itself (borrowed) when no rule fired, and a changed text only
//!   for a query: it still starts with SELECT/WITH/VALUES, and a statement as the router cuts
//!   it stays one statement for the router's lexer (which follows Flink's): a rewrite never
//!   splits a statement or hides its end in a comment or literal.
//! - A refusal carries a five-character SQLSTATE and a message.
//! - `backtick_identifiers` keeps one statement one statement, likewise.
#![no_main]

use std::borrow::Cow;

use flinkwire::dialect::names::ResultNames;
use flinkwire::dialect::{backtick_identifiers, to_flink};
use flinkwire::router::{leading_words, split_statements};
use libfuzzer_sys::fuzz_target;

#[path = "guard.rs"]
mod guard;

fuzz_target!(|sql: &str| {
    if guard::too_deep(sql) {
        return; // a known, unfixed sqlparser issue: see guard.rs
    }
    // flinkwire translates one statement at a time, as `split_statements` cut it: the statement
    // structure is checked for such input (one statement, trimmed, no trailing `;`).
    let single = split_statements(sql) == [sql];
    match to_flink(sql) {
        Ok(Cow::Borrowed(out)) => assert!(std::ptr::eq(out, sql), "borrowed output is not the input"),
        Ok(Cow::Owned(out)) => {
            let first = leading_words(&out, 1);
            assert!(
                matches!(first.first().map(String::as_str), Some("SELECT" | "WITH" | "VALUES")),
                "{sql:?} translated to a non-query {out:?}"
            );
            if single {
                assert_eq!(split_statements(&out).len(), 1, "{sql:?} translated to {out:?}");
            }
        }
        Err(refusal) => {
            let code = refusal.sqlstate.code();
            assert!(code.len() == 5, "{code:?}");
            assert!(!refusal.message.is_empty());
        }
    }

    if let Some(out) = backtick_identifiers(sql) {
        if single {
            assert_eq!(split_statements(&out).len(), 1, "{sql:?} backticked to {out:?}");
        }
    }

    if let Some(names) = ResultNames::of(sql) {
        for columns in 0..4 {
            for position in 0..columns {
                let _ = names.rename(position, columns, &format!("EXPR${position}"));
            }
        }
    }
});
