//! The functions that describe one catalog object by OID: `obj_description()`,
//! `col_description()`, `pg_get_indexdef()`, `pg_get_constraintdef()`, `pg_get_viewdef()`.
//!
//! They answer from the [`CatalogView`] (built once per context), by the stable OIDs of
//! `oids.rs`.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility};
use datafusion::prelude::SessionContext;

use super::functions::per_row;
use super::tables::{CatalogView, Relation};

/// The current catalog's objects.
#[derive(Debug)]
pub struct Objects {
    view: Arc<CatalogView>,
}

impl Objects {
    pub fn new(view: Arc<CatalogView>) -> Self {
        Self { view }
    }

    /// `name::regclass`: the OID of `[schema.]relation` (unqualified: in `current_schema`, or in
    /// `pg_catalog`), quoted parts as PostgreSQL parses them; a number is an OID already.
    fn regclass(&self, name: &str, current_schema: &str) -> Option<i64> {
        if let Ok(oid) = name.trim().parse() {
            return Some(oid);
        }
        let parts = parse_ident(name)?;
        let (schema, relation) = match parts.as_slice() {
            [relation] => (None, relation),
            [schema, relation] => (Some(schema.as_str()), relation),
            _ => return None,
        };
        match schema {
            None => self.view.oid_of(current_schema, relation).or_else(|| self.view.oid_of("pg_catalog", relation)),
            Some(schema) => self.view.oid_of(schema, relation),
        }
    }

    fn answer(&self, kind: Kind, oid: i64, second: Option<&str>) -> Option<String> {
        match kind {
            Kind::ObjDescription => match second {
                None | Some("pg_class") => self.view.relation(oid)?.table.comment.clone(),
                Some(_) => None,
            },
            Kind::ColDescription => {
                let attnum: usize = second?.parse().ok()?;
                self.view.relation(oid)?.table.columns.get(attnum.checked_sub(1)?)?.comment.clone()
            }
            Kind::IndexDef => {
                let r = self.view.indexed(oid)?;
                match second.and_then(|c| c.parse::<usize>().ok()).filter(|&c| c > 0) {
                    // pg_get_indexdef(index, column, pretty): that key column only.
                    Some(column) => r.table.primary_key.get(column - 1).map(|c| quote_ident(c)),
                    None => Some(format!(
                        "CREATE UNIQUE INDEX {} ON {}.{} USING btree ({})",
                        quote_ident(&r.pkey_name()),
                        quote_ident(&r.schema),
                        quote_ident(&r.table.name),
                        key_list(r)
                    )),
                }
            }
            Kind::ConstraintDef => {
                let r = self.view.constrained(oid)?;
                Some(format!("PRIMARY KEY ({})", key_list(r)))
            }
            Kind::ViewDef => self.view.relation(oid)?.table.view_query.clone(),
            Kind::RegClass => unreachable!("regclass takes a name"),
        }
    }
}

/// Splits `a."B c"` into `a`, `B c`: unquoted parts lower-cased, quoted ones as written.
fn parse_ident(name: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = name.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.push(c.to_ascii_lowercase());
                chars.next();
            }
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => continue,
            Some(_) => return None,
        }
    }
}

fn key_list(r: &Relation) -> String {
    r.table.primary_key.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
}

/// PostgreSQL's `quote_ident`: quotes unless the name is a plain lower-case identifier.
pub(super) fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    ObjDescription,
    ColDescription,
    IndexDef,
    ConstraintDef,
    ViewDef,
    /// `flinkwire_regclass(name, current_schema)`: see `rules::regclass`.
    RegClass,
}

/// One of the functions, over the shared index.
#[derive(Debug)]
struct ObjectFunction {
    name: &'static str,
    kind: Kind,
    signature: Signature,
    objects: Arc<Objects>,
}

impl PartialEq for ObjectFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.objects, &other.objects)
    }
}

impl Eq for ObjectFunction {}

impl std::hash::Hash for ObjectFunction {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for ObjectFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(if self.kind == Kind::RegClass { DataType::Int64 } else { DataType::Utf8 })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        per_row(&args, |v| {
            let first = v.first().copied().flatten();
            if self.kind == Kind::RegClass {
                let current_schema = v.get(1).copied().flatten().unwrap_or_default();
                return ScalarValue::Int64(first.and_then(|name| self.objects.regclass(name, current_schema)));
            }
            let oid = first.and_then(|o| o.parse().ok());
            ScalarValue::Utf8(oid.and_then(|oid| self.objects.answer(self.kind, oid, v.get(1).copied().flatten())))
        })
    }
}

/// Registers the functions over `objects` (replacing the crate's and earlier ones).
pub fn register(ctx: &SessionContext, objects: Arc<Objects>) {
    let any = |arities: &[usize]| {
        Signature::one_of(arities.iter().map(|&n| TypeSignature::Any(n)).collect(), Volatility::Stable)
    };
    for (name, kind, arities) in [
        ("obj_description", Kind::ObjDescription, &[1, 2][..]),
        ("col_description", Kind::ColDescription, &[2][..]),
        ("pg_get_indexdef", Kind::IndexDef, &[1, 3][..]),
        ("pg_get_constraintdef", Kind::ConstraintDef, &[1, 2][..]),
        ("pg_get_viewdef", Kind::ViewDef, &[1, 2][..]),
        ("flinkwire_regclass", Kind::RegClass, &[2][..]),
    ] {
        let function = ObjectFunction { name, kind, signature: any(arities), objects: objects.clone() };
        ctx.register_udf(ScalarUDF::new_from_impl(function));
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_ident, quote_ident};

    #[test]
    fn names_are_split_like_postgres() {
        assert_eq!(parse_ident("Shop.orders"), Some(vec!["shop".to_owned(), "orders".to_owned()]));
        assert_eq!(parse_ident("\"My \"\"T\".x"), Some(vec!["My \"T".to_owned(), "x".to_owned()]));
        assert_eq!(parse_ident("a..b"), None);
    }

    #[test]
    fn identifiers_are_quoted_like_postgres() {
        assert_eq!(quote_ident("orders_pkey"), "orders_pkey");
        assert_eq!(quote_ident("Orders"), "\"Orders\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
    }
}
