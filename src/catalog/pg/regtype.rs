//! `regtype` as text: a type OID shown as PostgreSQL's `regtypeout` shows it (`integer`,
//! `character varying`, `"any"`, `text[]`), for `x::regtype::text` and for an `oidvector` cast to
//! `regtype[]` (pgcli's function completions: `proargtypes::regtype[]`, `prorettype::regtype::
//! text`; its column completions: `atttypid::regtype::text`). datafusion-pg-catalog plans
//! `::regtype` as an identity cast of the OID, so `::text` after it gave `25` for `text`.
//!
//! The names come from the crate's `pg_type` (the system types) and the Flink tables' types
//! are among them. An OID no type has is shown as the number, as PostgreSQL does.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;

/// One row of `pg_type`: its name and, for an array type, its element's OID.
#[derive(Debug, Clone)]
pub struct TypeRow {
    pub name: String,
    pub element: Option<i64>,
}

/// The types by OID, named the way `regtypeout` names them.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TypeNames {
    names: Vec<(i64, String)>,
}

/// The SQL-standard names `format_type_be` gives the built-in types that have one.
const STANDARD_NAMES: [(i64, &str); 16] = [
    (16, "boolean"),
    (18, "\"char\""),
    (20, "bigint"),
    (21, "smallint"),
    (23, "integer"),
    (700, "real"),
    (701, "double precision"),
    (1042, "character"),
    (1043, "character varying"),
    (1083, "time without time zone"),
    (1114, "timestamp without time zone"),
    (1184, "timestamp with time zone"),
    (1266, "time with time zone"),
    (1560, "bit"),
    (1562, "bit varying"),
    (2276, "\"any\""),
];

impl TypeNames {
    pub fn new(rows: &HashMap<i64, TypeRow>) -> Self {
        let name = |oid: i64| -> Option<String> {
            let standard = |oid| STANDARD_NAMES.iter().find(|(o, _)| *o == oid).map(|(_, n)| (*n).to_owned());
            let row = rows.get(&oid)?;
            Some(match row.element {
                // An array type: its element's name and `[]` (`_int4` → `integer[]`).
                Some(element) if row.name.starts_with('_') => format!("{}[]", standard(element).or_else(|| rows.get(&element).map(|e| quoted(&e.name)))?),
                _ => standard(oid).unwrap_or_else(|| quoted(&row.name)),
            })
        };
        let mut names: Vec<(i64, String)> = rows.keys().filter_map(|&oid| Some((oid, name(oid)?))).collect();
        names.sort();
        Self { names }
    }

    fn name(&self, oid: i64) -> String {
        match self.names.binary_search_by_key(&oid, |(o, _)| *o) {
            Ok(i) => self.names[i].1.clone(),
            Err(_) => oid.to_string(),
        }
    }
}

/// A type name as an identifier: quoted unless it is lower-case letters, digits and `_`.
fn quoted(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The OIDs of an `oidvector` as the crate holds it: `25 16`, `[25, 18]`, `{25,18}`, or empty.
fn vector_oids(text: &str) -> Result<Vec<i64>> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i64>().map_err(|e| datafusion::error::DataFusionError::Execution(format!("OID {s:?}: {e}"))))
        .collect()
}

/// Registers `flinkwire_regtype(oid)` (text) and `flinkwire_regtypes(oidvector)` (text[]).
pub fn register(ctx: &SessionContext, names: Arc<TypeNames>) {
    ctx.register_udf(ScalarUDF::new_from_impl(RegType { names: names.clone(), vector: false, signature: Signature::any(1, Volatility::Immutable) }));
    ctx.register_udf(ScalarUDF::new_from_impl(RegType { names, vector: true, signature: Signature::any(1, Volatility::Immutable) }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct RegType {
    names: Arc<TypeNames>,
    /// `flinkwire_regtypes`: an `oidvector` in, a list of names out.
    vector: bool,
    signature: Signature,
}

impl ScalarUDFImpl for RegType {
    fn name(&self) -> &str {
        if self.vector { "flinkwire_regtypes" } else { "flinkwire_regtype" }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(if self.vector { DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))) } else { DataType::Utf8 })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let input = datafusion::arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let input = input.as_string::<i32>();
        if !self.vector {
            let mut out = StringBuilder::new();
            for row in 0..input.len() {
                match input.is_null(row) {
                    true => out.append_null(),
                    false => out.append_value(self.names.name(input.value(row).trim().parse::<i64>().map_err(|e| {
                        datafusion::error::DataFusionError::Execution(format!("OID {:?}: {e}", input.value(row)))
                    })?)),
                }
            }
            return Ok(ColumnarValue::Array(Arc::new(out.finish())));
        }
        let mut out = ListBuilder::new(StringBuilder::new());
        for row in 0..input.len() {
            if input.is_null(row) {
                out.append(false);
                continue;
            }
            for oid in vector_oids(input.value(row))? {
                out.values().append_value(self.names.name(oid));
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_like_regtypeout() {
        let rows = HashMap::from([
            (23, TypeRow { name: "int4".into(), element: None }),
            (1007, TypeRow { name: "_int4".into(), element: Some(23) }),
            (25, TypeRow { name: "text".into(), element: None }),
            (2276, TypeRow { name: "any".into(), element: None }),
        ]);
        let names = TypeNames::new(&rows);
        assert_eq!(names.name(23), "integer");
        assert_eq!(names.name(1007), "integer[]");
        assert_eq!(names.name(25), "text");
        assert_eq!(names.name(2276), "\"any\"");
        assert_eq!(names.name(99999), "99999");
        assert_eq!(vector_oids("[25, 18]").unwrap(), [25, 18]);
        assert_eq!(vector_oids("2276 25").unwrap(), [2276, 25]);
        assert!(vector_oids("").unwrap().is_empty());
    }
}
