//! Parameter inlining (`flinkwire_protocol::params`): a SQL text and up to 8 bound values of any
//! OID (the common ones favoured), format (text/binary) and bytes, or NULL.
//!
//! Invariants beyond "does not panic":
//! - `placeholders`: spans are in text order, each is `$<digits>` with the number it reports, and
//!   `max_index` is the largest; `inline_typed_nulls` and `inline_params` fail exactly when the
//!   scan fails (or, for `inline_params`, when a value is missing or bad).
//! - Injection safety: no literal ever "leaks". Re-scanning inlined SQL finds no placeholder
//!   (every `$n` was replaced and no literal opened a quote or comment), and each literal
//!   followed by ` $1` still shows that `$1` (the literal closed everything it opened).
//! - `string_literal` round-trips: quoted, `'` doubled, NUL refused.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use flinkwire_protocol::params::{
    inline_params, inline_typed_nulls, oid, placeholders, render_literal, string_literal, ParamError, ParamFormat,
    ParamValue,
};
use libfuzzer_sys::fuzz_target;

/// OIDs the renderer knows, so most values exercise a real parser.
const OIDS: &[u32] = &[
    oid::UNSPECIFIED,
    oid::BOOL,
    oid::BYTEA,
    oid::CHAR,
    oid::NAME,
    oid::INT8,
    oid::INT2,
    oid::INT4,
    oid::TEXT,
    oid::OID,
    oid::JSON,
    oid::FLOAT4,
    oid::FLOAT8,
    oid::UNKNOWN,
    oid::BPCHAR,
    oid::VARCHAR,
    oid::DATE,
    oid::TIME,
    oid::TIMESTAMP,
    oid::TIMESTAMPTZ,
    oid::NUMERIC,
    oid::UUID,
    oid::JSONB,
];

#[derive(Debug)]
struct Input<'a> {
    sql: &'a str,
    params: Vec<ParamValue<'a>>,
}

impl<'a> Arbitrary<'a> for Input<'a> {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let n = u.int_in_range(0..=8)?;
        let mut params = Vec::with_capacity(n);
        for _ in 0..n {
            let oid = if u.ratio(7, 8)? { *u.choose(OIDS)? } else { u32::arbitrary(u)? };
            let value = match u.int_in_range(0..=7)? {
                0 => ParamValue::null(oid),
                1..=2 => {
                    let len = u.arbitrary_len::<u8>()?.min(64);
                    ParamValue::binary(oid, u.bytes(len)?)
                }
                _ => ParamValue::text(oid, <&str>::arbitrary(u)?),
            };
            params.push(value);
        }
        // The rest of the input is the SQL, so corpus entries read as SQL at their end.
        let rest = std::mem::replace(u, Unstructured::new(&[])).take_rest();
        let sql = match std::str::from_utf8(rest) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).expect("valid prefix"),
        };
        Ok(Self { sql, params })
    }
}

/// `lit $1` must scan as the literal followed by exactly one placeholder `$1`.
fn assert_closed(literal: &str) {
    let probe = format!("{literal} $1");
    let found = placeholders(&probe).unwrap_or_else(|e| panic!("literal {literal:?}: probe fails to scan: {e}"));
    assert_eq!(found.list.len(), 1, "literal {literal:?} swallows or adds placeholders");
    assert_eq!(found.list[0].span, literal.len() + 1..probe.len(), "literal {literal:?} does not close");
}

fuzz_target!(|input: Input<'_>| {
    let Input { sql, params } = input;

    let scan = placeholders(sql);
    if let Ok(found) = &scan {
        let mut last_end = 0;
        for p in &found.list {
            assert!(p.span.start >= last_end, "placeholders out of order");
            let text = &sql[p.span.clone()];
            assert!(text.starts_with('$'), "span {text:?} is not a placeholder");
            assert_eq!(text[1..].parse::<usize>().ok(), Some(p.index), "span {text:?} vs index {}", p.index);
            last_end = p.span.end;
        }
        assert_eq!(found.max_index, found.list.iter().map(|p| p.index).max().unwrap_or(0));
    }

    let oids: Vec<u32> = params.iter().map(|p| p.oid).collect();
    match (&scan, inline_typed_nulls(sql, &oids)) {
        (Ok(found), Ok(out)) => {
            let rescanned = placeholders(&out).expect("inlined NULLs rescan");
            assert!(rescanned.list.is_empty(), "placeholders left after inlining NULLs: {out:?}");
            if found.list.is_empty() {
                assert_eq!(out, sql, "nothing to inline but the text changed");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a, &b),
        (a, b) => panic!("scan {a:?} but inline_typed_nulls {b:?}"),
    }

    match inline_params(sql, &params) {
        Ok(out) => {
            let found = scan.as_ref().expect("inline_params succeeded on text that does not scan");
            assert!(found.max_index <= params.len());
            match placeholders(&out) {
                Ok(rescanned) => assert!(rescanned.list.is_empty(), "placeholders left after inlining: {out:?}"),
                // A nested `/*` is only refused when there are placeholders: none may be left.
                Err(e) => panic!("inlined text does not rescan ({e}): {out:?}"),
            }
        }
        Err(ParamError::MissingValue { index, supplied }) => {
            assert_eq!(supplied, params.len());
            assert!(index > params.len());
        }
        Err(ParamError::Value { index, .. }) => assert!((1..=params.len()).contains(&index)),
        Err(e) => assert_eq!(scan.as_ref().err(), Some(&e), "inline_params failed with {e:?}, scan did not"),
    }

    for p in &params {
        match render_literal(p) {
            Ok(literal) => {
                assert!(!literal.is_empty());
                assert!(!literal.contains('\0'), "NUL in literal {literal:?}");
                assert_closed(&literal);
                if p.bytes.is_none() {
                    assert!(literal.starts_with("CAST(NULL AS "), "{literal:?}");
                }
            }
            Err(e) => {
                assert!(p.bytes.is_some(), "NULL must always render");
                let state = e.sqlstate().code();
                assert!(state.len() == 5 && state.bytes().all(|b| b.is_ascii_alphanumeric()), "{state:?}");
            }
        }
        if let (ParamFormat::Text, Some(bytes)) = (p.format, p.bytes) {
            let text = std::str::from_utf8(bytes).expect("text params are built from &str");
            match string_literal(text) {
                Ok(lit) => {
                    assert!(!text.contains('\0'));
                    let inner = lit.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).expect("quoted");
                    assert_eq!(inner.replace("''", "'"), text);
                    assert!(!inner.replace("''", "").contains('\''), "undoubled quote in {lit:?}");
                    assert_closed(&lit);
                }
                Err(_) => assert!(text.contains('\0')),
            }
        }
    }
});
