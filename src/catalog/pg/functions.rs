//! The client functions `datafusion-pg-catalog` leaves out: `version()`, `current_user`,
//! `current_setting()`, `set_config()`, `shobj_description()`, the `pg_get_*def()`s of objects Flink does not have,
//! `pg_*_is_visible()`…

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;

use super::SessionFacts;
use crate::catalog::snapshot::MetadataSnapshot;

/// What a function answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Answer {
    /// The same text every time (NULL for `None`).
    Text(Option<String>),
    /// The same boolean every time.
    Bool(bool),
    /// `current_setting(name [, missing_ok])` from these settings.
    Setting(Vec<(String, String)>),
    /// `set_config(name, value, is_local)`: the new value (the setting itself is not kept).
    SecondArgument,
    /// A NULL bigint: a size flinkwire does not know (`pg_table_size()`…).
    UnknownSize,
    /// `pg_size_pretty(bigint)`, as PostgreSQL words it.
    SizePretty,
    /// `format(formatstr, args…)` with `%s`, `%I`, `%L` and `%%` (Metabase's describe-fields).
    Format,
    /// `to_regtype(name)`: the type's OID, NULL for a type PostgreSQL clients probe for but
    /// flinkwire does not have (`hstore`, `citext`…).
    TypeOid,
    /// The same OID every time.
    Oid(i32),
    /// An empty `int4[]`: no process ids (flinkwire's connections never wait for a lock).
    NoPids,
}

/// The PostgreSQL type a type name means (`int4`, `integer`, `pg_catalog.text`, `character
/// varying`).
fn pg_type_named(name: &str) -> Option<&'static flinkwire_protocol::pg_types::PgType> {
    let name = name.trim().trim_start_matches("pg_catalog.").trim_matches('"').to_ascii_lowercase();
    let canonical = match name.as_str() {
        "integer" | "int" => "int4",
        "smallint" => "int2",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" => "float8",
        "boolean" => "bool",
        "character varying" => "varchar",
        "character" => "bpchar",
        "decimal" => "numeric",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        other => other,
    };
    flinkwire_protocol::pg_types::ALL.iter().find(|t| t.name == canonical)
}

/// The OID of a PostgreSQL type name.
fn type_oid(name: &str) -> Option<i32> {
    pg_type_named(name).map(|t| t.oid as i32)
}

/// The internal name of a type name (`integer` → `int4`), also for the OID aliases
/// (`regclass`…), which are no column types.
pub(crate) fn internal_type_name(name: &str) -> Option<&'static str> {
    const OID_ALIASES: [&str; 5] = ["regclass", "regtype", "regproc", "regnamespace", "regoper"];
    let bare = name.trim().trim_start_matches("pg_catalog.").to_ascii_lowercase();
    OID_ALIASES.iter().find(|a| **a == bare).copied().or_else(|| pg_type_named(name).map(|t| t.name))
}

/// PostgreSQL 16's `pg_size_pretty(bigint)`: bytes below 10 kB, then the unit that keeps the
/// number below 20 × 1024, rounded half away from zero.
fn size_pretty(size: i64) -> String {
    // (unit, limit, rounded, unit bits)
    const UNITS: [(&str, u64, bool, u32); 6] = [
        ("bytes", 10 * 1024, false, 0),
        ("kB", 20 * 1024 - 1, true, 10),
        ("MB", 20 * 1024 - 1, true, 20),
        ("GB", 20 * 1024 - 1, true, 30),
        ("TB", 20 * 1024 - 1, true, 40),
        ("PB", 20 * 1024 - 1, true, 50),
    ];
    let half_rounded = |x: i64| (x + if x < 0 { -1 } else { 1 }) / 2;
    let mut size = size;
    for (i, (name, limit, round, bits)) in UNITS.iter().enumerate() {
        let last = i + 1 == UNITS.len();
        if last || size.unsigned_abs() < *limit {
            let shown = if *round { half_rounded(size) } else { size };
            return format!("{shown} {name}");
        }
        let (_, _, next_round, next_bits) = UNITS[i + 1];
        size /= 1i64 << (next_bits - bits - u32::from(next_round) + u32::from(*round));
    }
    unreachable!("the last unit always answers")
}

/// PostgreSQL's `format()`: `%s` (NULL as empty), `%I` (quoted identifier), `%L` (quoted
/// literal, NULL unquoted), `%%`; arguments in order. A missing argument formats as empty.
fn format_text(format: &str, args: &[Option<&str>]) -> String {
    let mut out = String::with_capacity(format.len());
    let mut args = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(kind @ ('s' | 'I' | 'L')) => {
                let arg = args.next().copied().flatten();
                match (kind, arg) {
                    ('s', a) => out.push_str(a.unwrap_or_default()),
                    ('I', a) => out.push_str(&super::objects::quote_ident(a.unwrap_or_default())),
                    (_, Some(a)) => out.push_str(&format!("'{}'", a.replace('\'', "''"))),
                    (_, None) => out.push_str("NULL"),
                }
            }
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Answers each row with `f` of its arguments as text (NULL as `None`): one scalar when every
/// argument is one (DataFusion then hands over one-row arrays), else one value per row.
pub(super) fn per_row(args: &ScalarFunctionArgs, f: impl Fn(&[Option<&str>]) -> ScalarValue) -> Result<ColumnarValue> {
    let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    let texts = ColumnarValue::values_to_arrays(&args.args)?
        .iter()
        .map(|a| datafusion::arrow::compute::cast(a, &DataType::Utf8))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let texts: Vec<_> = texts.iter().map(|a| a.as_string::<i32>()).collect();
    let rows = texts.first().map_or(1, |t| t.len());
    let mut answers: Vec<ScalarValue> =
        (0..rows).map(|row| f(&texts.iter().map(|t| (!t.is_null(row)).then(|| t.value(row))).collect::<Vec<_>>())).collect();
    if scalar {
        return Ok(ColumnarValue::Scalar(answers.pop().unwrap_or_else(|| f(&[]))));
    }
    if answers.is_empty() {
        // An empty batch: an empty array of the answer's type.
        return Ok(ColumnarValue::Array(f(&[]).to_array_of_size(0)?));
    }
    Ok(ColumnarValue::Array(ScalarValue::iter_to_array(answers)?))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ClientFunction {
    name: String,
    signature: Signature,
    answer: Answer,
}

impl ClientFunction {
    fn new(name: &str, arities: &[usize], answer: Answer) -> ScalarUDF {
        let signatures = arities
            .iter()
            .map(|&n| if n == 0 { TypeSignature::Nullary } else { TypeSignature::Any(n) })
            .collect();
        let signature = Signature::one_of(signatures, Volatility::Stable);
        ScalarUDF::new_from_impl(Self { name: name.to_owned(), signature, answer })
    }
}

impl ScalarUDFImpl for ClientFunction {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.answer {
            Answer::Bool(_) => DataType::Boolean,
            Answer::TypeOid | Answer::Oid(_) => DataType::Int32,
            Answer::UnknownSize => DataType::Int64,
            Answer::NoPids => DataType::List(std::sync::Arc::new(datafusion::arrow::datatypes::Field::new_list_field(DataType::Int32, true))),
            _ => DataType::Utf8,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match &self.answer {
            Answer::Text(text) => Ok(ColumnarValue::Scalar(ScalarValue::Utf8(text.clone()))),
            Answer::Bool(b) => Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(*b)))),
            Answer::TypeOid => per_row(&args, |v| ScalarValue::Int32(v.first().copied().flatten().and_then(type_oid))),
            Answer::Oid(oid) => Ok(ColumnarValue::Scalar(ScalarValue::Int32(Some(*oid)))),
            Answer::UnknownSize => Ok(ColumnarValue::Scalar(ScalarValue::Int64(None))),
            Answer::NoPids => Ok(ColumnarValue::Scalar(ScalarValue::List(ScalarValue::new_list_nullable(&[], &DataType::Int32)))),
            Answer::SizePretty => {
                per_row(&args, |v| ScalarValue::Utf8(v.first().copied().flatten().and_then(|n| n.parse().ok()).map(size_pretty)))
            }
            Answer::Format => per_row(&args, |v| ScalarValue::Utf8(v.first().copied().flatten().map(|f| format_text(f, &v[1..])))),
            Answer::SecondArgument => Ok(args.args.get(1).cloned().unwrap_or(ColumnarValue::Scalar(ScalarValue::Utf8(None)))),
            Answer::Setting(settings) => per_row(&args, |v| {
                let name = v.first().copied().flatten().map(str::to_ascii_lowercase);
                ScalarValue::Utf8(name.and_then(|name| settings.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())))
            }),
        }
    }
}

/// The functions that depend only on the snapshot.
pub fn register_static_functions(ctx: &SessionContext, _snapshot: &MetadataSnapshot) {
    let version = format!(
        "PostgreSQL {} (flinkwire {}) on Apache Flink SQL",
        crate::local::settings::SERVER_VERSION,
        env!("CARGO_PKG_VERSION")
    );
    let null = || Answer::Text(None);
    for udf in [
        ClientFunction::new("version", &[0], Answer::Text(Some(version))),
        ClientFunction::new("shobj_description", &[2], null()),
        ClientFunction::new("pg_get_triggerdef", &[1, 2], null()),
        ClientFunction::new("pg_get_ruledef", &[1, 2], null()),
        ClientFunction::new("pg_get_function_result", &[1], null()),
        ClientFunction::new("pg_get_function_arguments", &[1], Answer::Text(Some(String::new()))),
        ClientFunction::new("pg_get_function_identity_arguments", &[1], Answer::Text(Some(String::new()))),
        ClientFunction::new("pg_get_serial_sequence", &[2], null()),
        ClientFunction::new("pg_type_is_visible", &[1], Answer::Bool(true)),
        ClientFunction::new("pg_function_is_visible", &[1], Answer::Bool(true)),
        ClientFunction::new("pg_is_in_recovery", &[0], Answer::Bool(false)),
        // pgAdmin's dashboard: which sessions block a connection (none: Flink statements take no
        // locks flinkwire would wait for).
        ClientFunction::new("pg_blocking_pids", &[1], Answer::NoPids),
        // A session's temporary schema; 0 while it has none, and flinkwire lists no temporary
        // schema (adbc-driver-postgresql's schema listing).
        ClientFunction::new("pg_my_temp_schema", &[0], Answer::Oid(0)),
        ClientFunction::new("pg_client_encoding", &[0], Answer::Text(Some("UTF8".into()))),
        // Flink tables have no size flinkwire could know (psql's `\dt+`, DBeaver's statistics).
        ClientFunction::new("pg_table_size", &[1], Answer::UnknownSize),
        ClientFunction::new("pg_relation_size", &[1, 2], Answer::UnknownSize),
        ClientFunction::new("pg_total_relation_size", &[1], Answer::UnknownSize),
        ClientFunction::new("pg_indexes_size", &[1], Answer::UnknownSize),
        ClientFunction::new("pg_database_size", &[1], Answer::UnknownSize),
        ClientFunction::new("pg_size_pretty", &[1], Answer::SizePretty),
        ClientFunction::new("format", &[1, 2, 3, 4, 5, 6, 7, 8], Answer::Format),
        // No defaults, index predicates or partition keys in Flink's catalog: NULL, where the
        // crate answers '' (DBeaver and Metabase test `pg_get_expr(…) IS NULL`).
        ClientFunction::new("pg_get_expr", &[2, 3], null()),
        ClientFunction::new("pg_get_partkeydef", &[1], null()),
        ClientFunction::new("has_function_privilege", &[2, 3], Answer::Bool(true)),
        ClientFunction::new("has_column_privilege", &[3, 4], Answer::Bool(true)),
        ClientFunction::new("set_config", &[3], Answer::SecondArgument),
        ClientFunction::new("to_regtype", &[1], Answer::TypeOid),
        ClientFunction::new("pg_collation_is_visible", &[1], Answer::Bool(true)),
        ClientFunction::new("pg_conversion_is_visible", &[1], Answer::Bool(true)),
        // SQLAlchemy's column reflection builds identity/collation details with it, only for
        // columns that have them (never, here).
        ClientFunction::new("json_build_object", &[2, 4, 6, 8, 10, 12, 14], null()),
    ] {
        ctx.register_udf(udf);
    }
    ctx.register_udf(ScalarUDF::new_from_impl(ExpandArray::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(Subscripts::new()));
    ctx.register_udf(ScalarUDF::new_from_impl(RegexpSplit::new()));
}

/// `current_schemas(include_implicit)`: the search path as PostgreSQL resolves it, the current
/// Flink database, after `pg_catalog` when implicit schemas are asked for (pgcli's completions
/// look in these). The crate's answered `{public, information_schema, pg_catalog}`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CurrentSchemas {
    database: String,
    signature: Signature,
}

impl ScalarUDFImpl for CurrentSchemas {
    fn name(&self) -> &str {
        "current_schemas"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(std::sync::Arc::new(datafusion::arrow::datatypes::Field::new_list_field(DataType::Utf8, true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::{ListBuilder, StringBuilder};
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let implicit = arrays[0].as_boolean();
        let mut builder = ListBuilder::new(StringBuilder::new());
        for row in 0..implicit.len() {
            if implicit.is_null(row) {
                builder.append(false);
                continue;
            }
            if implicit.value(row) {
                builder.values().append_value("pg_catalog");
            }
            builder.values().append_value(&self.database);
            builder.append(true);
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(builder.finish())))
    }
}

/// `flinkwire_regexp_split(text, pattern)` → the pieces of `text` between the matches of
/// `pattern`: with `unnest`, what `regexp_split_to_table(text, pattern)` returns (pgcli's
/// `casing()`; see `rules.rs`). The pattern is compiled by the `regex` crate: a pattern it reads
/// differently from PostgreSQL's ARE (backreferences, lookaround, `\m`, `\y`…) fails (2201B)
/// instead of splitting differently. Like PostgreSQL, an empty match at the start or the end
/// splits nothing off.
#[derive(Debug, PartialEq, Eq, Hash)]
struct RegexpSplit {
    signature: Signature,
}

impl RegexpSplit {
    fn new() -> Self {
        Self { signature: Signature::exact(vec![DataType::Utf8, DataType::Utf8], Volatility::Immutable) }
    }
}

/// The pieces of `text` between the matches of `pattern`, as PostgreSQL's
/// `regexp_split_to_table` cuts them.
fn regexp_split(text: &str, pattern: &regex::Regex) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for m in pattern.find_iter(text) {
        // PostgreSQL skips a zero-length match at the start and the end of the text.
        if m.start() == m.end() && (m.start() == 0 || m.start() == text.len()) {
            continue;
        }
        pieces.push(text[start..m.start()].to_owned());
        start = m.end();
    }
    pieces.push(text[start..].to_owned());
    pieces
}

impl ScalarUDFImpl for RegexpSplit {
    fn name(&self) -> &str {
        "flinkwire_regexp_split"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(std::sync::Arc::new(datafusion::arrow::datatypes::Field::new_list_field(DataType::Utf8, true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::{ListBuilder, StringBuilder};
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (texts, patterns) = (arrays[0].as_string::<i32>(), arrays[1].as_string::<i32>());
        let mut compiled: Option<(String, regex::Regex)> = None;
        let mut builder = ListBuilder::new(StringBuilder::new());
        for row in 0..texts.len() {
            if texts.is_null(row) || patterns.is_null(row) {
                builder.append(false);
                continue;
            }
            let pattern = patterns.value(row);
            if compiled.as_ref().is_none_or(|(p, _)| p != pattern) {
                let re = regex::Regex::new(pattern).map_err(|e| {
                    datafusion::error::DataFusionError::Execution(format!("invalid regular expression {pattern:?}: {e}"))
                })?;
                compiled = Some((pattern.to_owned(), re));
            }
            let (_, re) = compiled.as_ref().expect("compiled above");
            for piece in regexp_split(texts.value(row), re) {
                builder.values().append_value(piece);
            }
            builder.append(true);
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(builder.finish())))
    }
}

/// `flinkwire_subscripts(array)` → `[1, 2, … len]` (NULL for NULL): with `unnest`, what
/// `generate_subscripts(array, 1)` returns (SQLAlchemy's get_pk_constraint and get_indexes; see
/// `rules.rs`). Every array flinkwire has is one-dimensional.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Subscripts {
    signature: Signature,
}

impl Subscripts {
    fn new() -> Self {
        Self { signature: Signature::any(1, Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for Subscripts {
    fn name(&self) -> &str {
        "flinkwire_subscripts"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(std::sync::Arc::new(datafusion::arrow::datatypes::Field::new_list_field(DataType::Int32, true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::ListBuilder;
        use datafusion::arrow::array::Int32Builder;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let input = &arrays[0];
        let mut builder = ListBuilder::new(Int32Builder::new());
        for row in 0..input.len() {
            let len = match input.data_type() {
                _ if input.is_null(row) => None,
                DataType::List(_) => Some(input.as_list::<i32>().value(row).len()),
                DataType::LargeList(_) => Some(input.as_list::<i64>().value(row).len()),
                DataType::FixedSizeList(_, n) => Some(*n as usize),
                DataType::Utf8 => Some(
                    input.as_string::<i32>().value(row).trim_matches(['{', '}']).split([',', ' ']).filter(|v| !v.trim().is_empty()).count(),
                ),
                _ => None,
            };
            match len {
                Some(len) => {
                    builder.values().append_values(&(1..=len as i32).collect::<Vec<_>>(), &vec![true; len]);
                    builder.append(true);
                }
                None => builder.append(false),
            }
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(builder.finish())))
    }
}

/// `flinkwire_expandarray(int2[])` → list of `{x, n}` (element, 1-based position): with
/// `unnest`, what `information_schema._pg_expandarray` returns (PgJDBC's getPrimaryKeys and
/// getIndexInfo; see `rules.rs`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ExpandArray {
    signature: Signature,
}

impl ExpandArray {
    fn new() -> Self {
        Self { signature: Signature::any(1, Volatility::Immutable) }
    }

    fn item() -> DataType {
        use datafusion::arrow::datatypes::{Field, Fields};
        DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int32, true), Field::new("n", DataType::Int32, true)]))
    }
}

impl ScalarUDFImpl for ExpandArray {
    fn name(&self) -> &str {
        "flinkwire_expandarray"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(std::sync::Arc::new(datafusion::arrow::datatypes::Field::new_list_field(Self::item(), true))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use datafusion::arrow::array::{Int32Array, StructArray};
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let input = &arrays[0];
        let mut out = Vec::with_capacity(input.len());
        for row in 0..input.len() {
            let values: Option<Vec<i32>> = match input.data_type() {
                DataType::List(_) if !input.is_null(row) => {
                    let items = datafusion::arrow::compute::cast(&input.as_list::<i32>().value(row), &DataType::Int32)?;
                    let items = items.as_primitive::<datafusion::arrow::datatypes::Int32Type>();
                    Some((0..items.len()).map(|i| items.value(i)).collect())
                }
                DataType::Utf8 if !input.is_null(row) => Some(
                    input.as_string::<i32>().value(row).trim_matches(['{', '}']).split([',', ' ']).filter_map(|v| v.trim().parse().ok()).collect(),
                ),
                _ => None,
            };
            let Some(values) = values else {
                out.push(ScalarValue::try_from(&self.return_type(&[])?)?);
                continue;
            };
            let positions: Int32Array = (1..=values.len() as i32).collect();
            let DataType::Struct(fields) = Self::item() else { unreachable!() };
            let items = StructArray::new(
                fields,
                vec![std::sync::Arc::new(Int32Array::from(values)), std::sync::Arc::new(positions)],
                None,
            );
            let list = datafusion::arrow::array::ListArray::new(
                std::sync::Arc::new(datafusion::arrow::datatypes::Field::new_list_field(Self::item(), true)),
                datafusion::arrow::buffer::OffsetBuffer::from_lengths([items.len()]),
                std::sync::Arc::new(items),
                None,
            );
            out.push(ScalarValue::List(std::sync::Arc::new(list)));
        }
        Ok(ColumnarValue::Array(ScalarValue::iter_to_array(out)?))
    }
}

/// The functions that answer with the session's own facts (user, settings).
pub fn register_session_functions(ctx: &SessionContext, facts: &SessionFacts) {
    let user = Answer::Text(Some(facts.user.clone()));
    for udf in [
        ClientFunction::new("current_user", &[0], user.clone()),
        ClientFunction::new("current_role", &[0], user.clone()),
        ClientFunction::new("session_user", &[0], user.clone()),
        ClientFunction::new("user", &[0], user),
        ClientFunction::new("current_setting", &[1, 2], Answer::Setting(facts.settings.clone())),
        // datafusion-pg-catalog answers `public`; the current Flink database is the schema.
        ClientFunction::new("current_schema", &[0], Answer::Text(Some(facts.database.clone()))),
    ] {
        ctx.register_udf(udf);
    }
    ctx.register_udf(ScalarUDF::new_from_impl(CurrentSchemas {
        database: facts.database.clone(),
        signature: Signature::exact(vec![DataType::Boolean], Volatility::Stable),
    }));
}

#[cfg(test)]
mod tests {
    #[test]
    fn regexp_split_cuts_like_postgres() {
        let split = |t: &str, p: &str| super::regexp_split(t, &regex::Regex::new(p).unwrap());
        assert_eq!(split("hello world", r"\s+"), ["hello", "world"]);
        assert_eq!(split("select a, b", r"\W+"), ["select", "a", "b"]);
        assert_eq!(split(" a", r"\s+"), ["", "a"]);
        assert_eq!(split("abc", "x"), ["abc"]);
        assert_eq!(split("abc", ""), ["a", "b", "c"]);
    }

    #[test]
    fn format_like_postgres() {
        assert_eq!(super::format_text("%s.%I = %L, %%", &[Some("a"), Some("My Table"), Some("it's")]), "a.\"My Table\" = 'it''s', %");
        assert_eq!(super::format_text("[%s] %L", &[None, None]), "[] NULL");
    }

    #[test]
    fn sizes_are_worded_like_postgres() {
        // Answers of PostgreSQL 16.
        for (size, words) in [
            (0, "0 bytes"),
            (10239, "10239 bytes"),
            (10240, "10 kB"),
            (20971, "20 kB"),
            (1_000_000, "977 kB"),
            (123_456_789, "118 MB"),
            (-10240, "-10 kB"),
            (i64::MAX, "8192 PB"),
        ] {
            assert_eq!(super::size_pretty(size), words, "{size}");
        }
    }
}
