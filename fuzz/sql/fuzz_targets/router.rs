//! Statement splitting and classification (`flinkwire::router`): every simple-query string a
//! client sends goes through `split_statements`, then `classify` (which also runs
//! `local::recognize`, the PostgreSQL session-command parser) and `flink_reset_key`.
//!
//! Invariants beyond "does not panic":
//! - Every statement is a trimmed, non-empty slice of the input, in order, without overlap, and
//!   `classify` never calls it `Empty`.
//! - A statement is split consistently: splitting it again gives itself back, unless it is a
//!   `BEGIN STATEMENT SET; …` block (whose inner `;` are kept on purpose).
//! - A Flink `RESET 'key'` key is trimmed; `RESET` forms are never taken for PostgreSQL's own
//!   `SET`/`RESET` commands and classified as `Command { tag: "RESET" }`.
#![no_main]

use flinkwire::router::{classify, flink_reset_key, leading_words, split_statements, StatementKind};
use libfuzzer_sys::fuzz_target;

#[path = "guard.rs"]
mod guard;

fuzz_target!(|sql: &str| {
    if guard::too_deep(sql) {
        return; // a known, unfixed sqlparser issue: see guard.rs
    }
    let statements = split_statements(sql);
    let base = sql.as_ptr() as usize;
    let mut last_end = 0usize;
    for s in &statements {
        let start = s.as_ptr() as usize - base;
        assert!(start >= last_end && start + s.len() <= sql.len(), "{s:?} is not an in-order slice of the input");
        last_end = start + s.len();
        assert!(!s.is_empty() && s.trim() == *s, "statement {s:?} is empty or not trimmed");

        let kind = classify(s);
        assert_ne!(kind, StatementKind::Empty, "{s:?} split as a statement but classified Empty");
        let _ = kind.returns_rows();
        if let StatementKind::Command { tag } = &kind {
            assert!(!tag.is_empty());
        }

        let words = leading_words(s, 3);
        if words.len() < 3 || words[0] != "BEGIN" || words[1] != "STATEMENT" || words[2] != "SET" {
            assert_eq!(split_statements(s), vec![*s], "re-splitting {s:?}");
        }

        if let Some(reset) = flink_reset_key(s) {
            if let Some(key) = &reset {
                assert_eq!(key.trim(), key);
            }
            assert_eq!(kind, StatementKind::Command { tag: "RESET".into() }, "Flink RESET {s:?}");
        }
    }
    // The whole text too: classify and flink_reset_key see unsplit text in the extended protocol.
    let _ = classify(sql);
    let _ = flink_reset_key(sql);
});
