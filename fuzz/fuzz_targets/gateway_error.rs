//! Gateway error classification (`flinkwire_protocol::sqlstate`): an HTTP status and an error body
//! (normally `{"errors":[…, "<Exception on server side: …trace…>"]}`, but anything a proxy may
//! send), and `SqlPosition::char_offset` against arbitrary SQL.
//!
//! Input: 2 bytes HTTP status, 8 bytes line/column for `char_offset`, then the body; the body is
//! also used as the SQL text.
//!
//! Invariants beyond "does not panic":
//! - The SQLSTATE is five digits/upper-case letters; the message is one non-empty line, bounded
//!   (the cause's text cut at 1000 characters, plus a short fixed prefix), the detail at most
//!   1500 characters (+ `…`).
//! - `char_offset` agrees with a naive reference: the 1-based character offset of
//!   (line, column), where a column may point just past the end of its line.
#![no_main]

use flinkwire_protocol::sqlstate::{classify_error_body, classify_java_trace, GatewayError, SqlPosition};
use libfuzzer_sys::fuzz_target;

fn check(err: &GatewayError) {
    let code = err.sqlstate.code();
    assert!(
        code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
        "bad SQLSTATE {code:?}"
    );
    assert!(!err.message.is_empty(), "empty message");
    assert!(!err.message.contains('\n'), "multi-line message {:?}", err.message);
    // The cause's text is cut at 1000 characters (+ `…`); a fixed prefix may come before it
    // (`Flink session lost: `, the exception's simple class name).
    assert!(err.message.chars().count() <= 1001 + 200, "message of {} chars", err.message.chars().count());
    if let Some(detail) = &err.detail {
        assert!(detail.chars().count() <= 1501, "detail of {} chars", detail.chars().count());
    }
    if let Some(hint) = &err.hint {
        assert!(!hint.is_empty());
    }
    if let Some(p) = err.position {
        // Positions come from `line N, column M` text: only ever digits that fit a u32.
        let _ = p.char_offset("");
    }
}

/// 1-based character offset of (line, column), both 1-based, by walking the characters.
fn reference_offset(sql: &str, line: u32, column: u32) -> Option<usize> {
    if line == 0 || column == 0 {
        return None;
    }
    let (mut l, mut c) = (1u32, 1u32);
    for (i, ch) in sql.chars().enumerate() {
        if (l, c) == (line, column) {
            return Some(i + 1);
        }
        if ch == '\n' {
            if l == line {
                return None; // column beyond the end of the line (+1)
            }
            l += 1;
            c = 1;
        } else if l == line {
            c += 1;
        }
    }
    ((l, c) == (line, column)).then(|| sql.chars().count() + 1)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]);
    let line = u32::from_be_bytes(data[2..6].try_into().unwrap()) % 64;
    let column = u32::from_be_bytes(data[6..10].try_into().unwrap()) % 256;
    let body = String::from_utf8_lossy(&data[10..]);

    let err = classify_error_body(status, &body);
    check(&err);
    let trace = classify_java_trace(&body);
    check(&trace);

    let position = SqlPosition { line, column, end: None };
    let got = position.char_offset(&body);
    assert_eq!(got, reference_offset(&body, line, column), "char_offset({line}, {column})");
    if let Some(p) = err.position.or(trace.position) {
        if let Some(offset) = p.char_offset(&body) {
            assert!((1..=body.chars().count() + 1).contains(&offset));
        }
    }
});
