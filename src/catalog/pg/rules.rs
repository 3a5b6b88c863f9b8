//! Rewrites of client SQL that DataFusion cannot plan, applied after datafusion-pg-catalog's own
//! rules. Each rule names the client that needs it.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Statement, Value, VisitMut, VisitorMut};

use crate::dialect::call;

/// Applies every rule.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Rules);
}

struct Rules;

/// Applies the rules that must run before datafusion-pg-catalog's (which replaces some client
/// SQL it cannot run with a stub answer, and reads array literals its own way); true if the
/// statement changed. Err: a malformed array literal (22P02).
pub fn rewrite_before_crate(statement: &mut Statement) -> Result<bool, String> {
    let mut before = BeforeCrate { changed: false };
    match statement.visit(&mut before) {
        ControlFlow::Break(malformed) => Err(malformed),
        ControlFlow::Continue(()) => Ok(before.changed),
    }
}

struct BeforeCrate {
    changed: bool,
}

impl VisitorMut for BeforeCrate {
    type Break = String;

    fn pre_visit_query(&mut self, query: &mut sqlparser::ast::Query) -> ControlFlow<String> {
        self.changed |= subscript_loop(query);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<String> {
        self.changed |= in_subscript_loop(expr);
        match text_array_literal(expr) {
            Ok(changed) => self.changed |= changed,
            Err(malformed) => return ControlFlow::Break(malformed),
        }
        ControlFlow::Continue(())
    }
}

/// `x = ANY('{"p", "r"}')`, `x <> ALL('{…}')` and `'{…}'::text[]` → `ARRAY['p', 'r']`, read as
/// PostgreSQL reads array literals (array_literal.rs): datafusion-pg-catalog's own rewrite keeps
/// the double quotes of quoted elements, so adbc-driver-postgresql's GetObjects found no tables.
/// Array literals of other element types have no quotes and are left to the crate.
fn text_array_literal(expr: &mut Expr) -> Result<bool, String> {
    use sqlparser::ast::{Array, ArrayElemTypeDef, CastKind, DataType};
    let literal = match expr {
        Expr::AnyOp { right, .. } | Expr::AllOp { right, .. } => right.as_mut(),
        Expr::Cast { kind: CastKind::DoubleColon | CastKind::Cast, expr, data_type: DataType::Array(element), .. } => {
            let is_text = |t: &DataType| matches!(t, DataType::Text | DataType::Varchar(_) | DataType::Char(_) | DataType::String(_));
            match element {
                ArrayElemTypeDef::AngleBracket(t) | ArrayElemTypeDef::SquareBracket(t, _) | ArrayElemTypeDef::Parenthesis(t)
                    if is_text(t) => {}
                _ => return Ok(false),
            }
            expr.as_mut()
        }
        _ => return Ok(false),
    };
    let Expr::Value(sqlparser::ast::ValueWithSpan { value: Value::SingleQuotedString(text), .. }) = literal else {
        return Ok(false);
    };
    let elements = super::array_literal::parse(text)?;
    let elem = elements
        .into_iter()
        .map(|e| Expr::value(e.map_or(Value::Null, Value::SingleQuotedString)))
        .collect();
    *literal = Expr::Array(Array { elem, named: true });
    Ok(true)
}

/// An unqualified `pg_stat_activity` → `pg_catalog.pg_stat_activity`, as PostgreSQL's search
/// path finds it (the crate qualifies only the relations it has itself).
fn qualify_flinkwire_relation(factor: &mut sqlparser::ast::TableFactor) {
    use sqlparser::ast::{Ident, ObjectName, ObjectNamePart, TableFactor};
    let TableFactor::Table {
        name, args: None, ..
    } = factor
    else {
        return;
    };
    if let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() {
        if ident.value.eq_ignore_ascii_case("pg_stat_activity") {
            let relation = ident.clone();
            *name = ObjectName(vec![
                ObjectNamePart::Identifier(Ident::new("pg_catalog")),
                ObjectNamePart::Identifier(relation),
            ]);
        }
    }
}

/// `x IN (<subscript loop>)` → `array_has((SELECT array_agg(item) FROM unnest(A) …), x)`:
/// DataFusion runs `IN (subquery)` only in WHERE, and Grafana puts it in a CASE of the select
/// list and ORDER BY.
fn in_subscript_loop(expr: &mut Expr) -> bool {
    use sqlparser::ast::{SelectItem, SetExpr};
    let Expr::InSubquery { expr: needle, subquery, negated } = expr else { return false };
    let mut elements = subquery.as_ref().clone();
    if !subscript_loop(&mut elements) {
        return false;
    }
    let SetExpr::Select(select) = elements.body.as_mut() else { return false };
    let [SelectItem::UnnamedExpr(item) | SelectItem::ExprWithAlias { expr: item, .. }] = select.projection.as_mut_slice() else {
        return false;
    };
    let item = std::mem::replace(item, Expr::value(Value::Null));
    select.projection = vec![SelectItem::UnnamedExpr(call("array_agg", vec![item]))];
    let needle = std::mem::replace(needle.as_mut(), Expr::value(Value::Null));
    let has = call("array_has", vec![Expr::Subquery(Box::new(elements)), needle]);
    *expr = if *negated { Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Not, expr: Box::new(Expr::Nested(Box::new(has))) } } else { has };
    true
}

impl VisitorMut for Rules {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut sqlparser::ast::TableFactor) -> ControlFlow<()> {
        unnest_column_alias(factor);
        qualify_flinkwire_relation(factor);
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, query: &mut sqlparser::ast::Query) -> ControlFlow<()> {
        exists_in_select_list(query);
        function_column_names(query);
        lateral_unnest(query);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Like { pattern, escape_char, .. } | Expr::ILike { pattern, escape_char, .. } = expr {
            like_escape(pattern, escape_char);
        }
        regclass(expr);
        regtype_text(expr);
        if let Expr::Subquery(query) = expr {
            if over_empty_catalog(query) {
                *expr = Expr::value(Value::Null);
            } else {
                aggregate_scalar_subquery(query);
            }
        }
        storage_options(expr);
        array_subquery(expr);
        regproc_join(expr);
        regproc_zero(expr);
        boolean_flag_literal(expr);
        vector_subscript(expr);
        expand_array(expr);
        set_returning(expr);
        field_access(expr);
        regproc_by_name(expr);
        ControlFlow::Continue(())
    }
}

/// `SELECT count(1), row_number() OVER (…) FROM …` in a CTE or subquery whose columns the outer
/// query names (pgcli's casing: `ORDER BY Count`, `WHERE Row_Number = 1`) → `count(1) AS count,
/// row_number() OVER (…) AS row_number`: PostgreSQL names an unaliased function call after the
/// function, DataFusion after the whole call. Only where that name is not already taken in the
/// select list (PostgreSQL allows two alike, DataFusion does not).
fn function_column_names(query: &mut sqlparser::ast::Query) {
    use sqlparser::ast::{Ident, SelectItem, SetExpr};
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    let function_name = |item: &SelectItem| match item {
        SelectItem::UnnamedExpr(Expr::Function(f)) => f.name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase()),
        _ => None,
    };
    let taken = |item: &SelectItem| match item {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.to_ascii_lowercase()),
        SelectItem::UnnamedExpr(e) => column_name(e).or_else(|| function_name(item)),
        _ => None,
    };
    let names: Vec<Option<String>> = select.projection.iter().map(taken).collect();
    for item in &mut select.projection {
        let Some(name) = function_name(item) else { continue };
        if names.iter().filter(|n| n.as_deref() == Some(name.as_str())).count() != 1 {
            continue;
        }
        let SelectItem::UnnamedExpr(e) = item else { continue };
        let expr = std::mem::replace(e, Expr::value(Value::Null));
        *item = SelectItem::ExprWithAlias { expr, alias: Ident::new(name) };
    }
}

/// Whether a scalar subquery reads a catalog that has no rows for Flink tables: `pg_attrdef`
/// (Flink columns have no defaults), `pg_sequence` (no identity columns), `pg_collation` looked
/// up by a column's collation (every `attcollation` is 0). SQLAlchemy's get_columns asks these
/// with correlated subqueries inside CASE, which DataFusion cannot plan; their answer is NULL.
fn over_empty_catalog(query: &sqlparser::ast::Query) -> bool {
    use sqlparser::ast::{SetExpr, TableFactor};
    let SetExpr::Select(select) = query.body.as_ref() else { return false };
    let [from] = select.from.as_slice() else { return false };
    let TableFactor::Table { name, .. } = &from.relation else { return false };
    let Some(table) = name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase()) else { return false };
    match table.as_str() {
        "pg_attrdef" | "pg_sequence" => true,
        "pg_collation" => select.selection.as_ref().is_some_and(|w| w.to_string().contains(".attcollation")),
        _ => false,
    }
}

/// `ARRAY(SELECT … FROM unnest(tc.reloptions) x)` (psql's `\d+`: the TOAST table's storage
/// options, a lateral subquery DataFusion cannot plan) → NULL: flinkwire's `reloptions` are
/// all NULL.
fn storage_options(expr: &mut Expr) {
    let Expr::Function(f) = expr else { return };
    if !f.name.to_string().eq_ignore_ascii_case("array") {
        return;
    }
    let sqlparser::ast::FunctionArguments::Subquery(query) = &f.args else { return };
    let sqlparser::ast::SetExpr::Select(select) = query.body.as_ref() else { return };
    let [from] = select.from.as_slice() else { return };
    let text = from.relation.to_string().to_ascii_lowercase();
    if text.contains("unnest(") && text.contains(".reloptions)") {
        *expr = Expr::value(Value::Null);
    }
}

/// `ARRAY(SELECT x FROM … [ORDER BY …])` (psql 15's `\du` role memberships, `\dp` column
/// privileges and policies) → `coalesce((SELECT array_agg(x [ORDER BY …]) FROM …), make_array())`:
/// DataFusion has no array constructor over a subquery but plans a correlated aggregate, and
/// `ARRAY()` of no rows is `{}`, where `array_agg` of none is NULL. Over `pg_policy`, which has
/// no rows here, it is `{}` at once.
fn array_subquery(expr: &mut Expr) {
    use sqlparser::ast::{FunctionArgumentClause, FunctionArguments, OrderByKind, SelectItem, SetExpr};
    let Expr::Function(f) = expr else { return };
    if !f.name.to_string().eq_ignore_ascii_case("array") {
        return;
    }
    let FunctionArguments::Subquery(query) = &f.args else { return };
    let mut query = query.as_ref().clone();
    if query.limit_clause.is_some() || query.fetch.is_some() {
        return;
    }
    let order_by = query.order_by.take();
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    if select.distinct.is_some() || !matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty()) {
        return;
    }
    // Row-level security policies: flinkwire has none, and the crate's pg_policy types
    // `polroles` as text, so psql's `oid = ANY (polroles)` would not even plan.
    let first_table = select.from.first().map(|t| t.relation.to_string().to_ascii_lowercase()).unwrap_or_default();
    if first_table.split_whitespace().next().is_some_and(|t| t.ends_with("pg_policy")) {
        *expr = call("make_array", vec![]);
        return;
    }
    let [SelectItem::UnnamedExpr(item) | SelectItem::ExprWithAlias { expr: item, .. }] = select.projection.as_mut_slice() else { return };
    let item = std::mem::replace(item, Expr::value(Value::Null));
    let mut aggregate = call("array_agg", vec![item.clone()]);
    if let (Some(order_by), Expr::Function(agg)) = (order_by, &mut aggregate) {
        let OrderByKind::Expressions(mut keys) = order_by.kind else { return };
        // `ORDER BY 1` is the item itself.
        for key in &mut keys {
            if matches!(&key.expr, Expr::Value(v) if v.value == Value::Number("1".into(), false)) {
                key.expr = item.clone();
            }
        }
        if let FunctionArguments::List(list) = &mut agg.args {
            list.clauses.push(FunctionArgumentClause::OrderBy(keys));
        }
    }
    select.projection = vec![SelectItem::UnnamedExpr(aggregate)];
    *expr = call("coalesce", vec![Expr::Subquery(Box::new(query)), call("make_array", vec![])]);
}

/// `EXISTS (SELECT … FROM t WHERE w)` in a select list (psql's `\d index`) → `((SELECT count(*)
/// FROM t WHERE w) > 0)`: DataFusion plans EXISTS only in WHERE, but a correlated `count(*)`
/// anywhere.
fn exists_in_select_list(query: &mut sqlparser::ast::Query) {
    use sqlparser::ast::{BinaryOperator, SelectItem, SetExpr};
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    for item in &mut select.projection {
        let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item else { continue };
        let _ = sqlparser::ast::visit_expressions_mut(e, |e| {
            let Expr::Exists { subquery, negated } = e else { return ControlFlow::<()>::Continue(()) };
            let mut counted = subquery.as_ref().clone();
            let SetExpr::Select(inner) = counted.body.as_mut() else { return ControlFlow::Continue(()) };
            let simple = matches!(&inner.group_by, sqlparser::ast::GroupByExpr::Expressions(g, _) if g.is_empty())
                && inner.having.is_none()
                && inner.distinct.is_none()
                && counted.limit_clause.is_none();
            if !simple {
                return ControlFlow::Continue(());
            }
            let count = call("count", vec![Expr::value(Value::Number("1".into(), false))]);
            inner.projection = vec![SelectItem::UnnamedExpr(count)];
            counted.order_by = None;
            let op = if *negated { BinaryOperator::Eq } else { BinaryOperator::Gt };
            *e = Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(Expr::Subquery(Box::new(counted))),
                op,
                right: Box::new(Expr::value(Value::Number("0".into(), false))),
            }));
            ControlFlow::Continue(())
        });
    }
}

/// `'name'::regclass`, which datafusion-pg-catalog turns into a lookup among the current
/// schema's relations (`(SELECT c.oid … parse_ident('name'::TEXT) …)`), and `<computed
/// name>::regclass`, which it leaves as a cast → `flinkwire_regclass(name, current_schema())`
/// (`objects.rs`): one lookup that also knows the system catalogs (DBeaver and Metabase join
/// `pg_description` on `classoid = 'pg_class'::regclass`) and computed names (Metabase's
/// `format('%I.%I', schema, table)::regclass`).
fn regclass(expr: &mut Expr) {
    let name = match expr {
        Expr::Cast { expr: inner, data_type, .. }
            if data_type.to_string().to_ascii_lowercase().trim_start_matches("pg_catalog.") == "regclass" =>
        {
            std::mem::replace(inner.as_mut(), Expr::value(Value::Null))
        }
        Expr::Subquery(query) if query.to_string().contains("CROSS JOIN (SELECT parse_ident(") => {
            let mut name = None;
            let _ = sqlparser::ast::visit_expressions(query.as_ref(), |e| {
                if let Expr::Function(f) = e {
                    if f.name.to_string().eq_ignore_ascii_case("parse_ident") {
                        if let sqlparser::ast::FunctionArguments::List(list) = &f.args {
                            if let Some(sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(arg))) = list.args.first() {
                                name = Some(arg.clone());
                                return ControlFlow::Break(());
                            }
                        }
                    }
                }
                ControlFlow::Continue(())
            });
            let Some(name) = name else { return };
            name
        }
        _ => return,
    };
    *expr = call("flinkwire_regclass", vec![name, call("current_schema", vec![])]);
}

/// `SELECT f(s[i]) FROM generate_series(array_lower(A, 1), array_upper(A, 1)) AS i, A AS s`
/// (Grafana's reading of `current_setting('search_path')`, the pre-`unnest` idiom for the
/// elements of an array) → `SELECT f(s.flinkwire_element) FROM unnest(A) AS s(flinkwire_element)`:
/// DataFusion has neither table function. datafusion-pg-catalog would replace Grafana's
/// subquery with `''` (no schema on the path), hence before it.
fn subscript_loop(query: &mut sqlparser::ast::Query) -> bool {
    use sqlparser::ast::{AccessExpr, SetExpr, Subscript, TableFactor};
    let SetExpr::Select(select) = query.body.as_mut() else { return false };
    let [series, array] = select.from.as_slice() else { return false };
    if !series.joins.is_empty() || !array.joins.is_empty() {
        return false;
    }
    let (TableFactor::Table { alias: Some(index), .. }, TableFactor::Table { alias: Some(elements), name, args: Some(args), .. }) =
        (&series.relation, &array.relation)
    else {
        return false;
    };
    let array_text = format!("{name}({})", args.args.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
    let expected = format!("generate_series(array_lower({array_text}, 1), array_upper({array_text}, 1)) AS {}", index.name);
    if series.relation.to_string() != expected {
        return false;
    }
    let (index, elements) = (index.name.value.clone(), elements.name.value.clone());
    let Ok(mut parsed) = sqlparser::parser::Parser::parse_sql(
        &sqlparser::dialect::PostgreSqlDialect {},
        &format!("SELECT 1 FROM unnest({array_text}) AS {elements}(flinkwire_element)"),
    ) else {
        return false;
    };
    let sqlparser::ast::Statement::Query(parsed) = parsed.remove(0) else { return false };
    let SetExpr::Select(parsed) = *parsed.body else { return false };
    select.from = parsed.from;
    let element = |e: &mut Expr| {
        let Expr::CompoundFieldAccess { root, access_chain } = e else { return ControlFlow::<()>::Continue(()) };
        let is_loop = matches!(root.as_ref(), Expr::Identifier(r) if r.value == elements)
            && matches!(access_chain.as_slice(), [AccessExpr::Subscript(Subscript::Index { index: Expr::Identifier(i) })] if i.value == index);
        if is_loop {
            *e = Expr::CompoundIdentifier(vec![sqlparser::ast::Ident::new(&elements), sqlparser::ast::Ident::new("flinkwire_element")]);
        }
        ControlFlow::Continue(())
    };
    for item in &mut select.projection {
        let _ = sqlparser::ast::visit_expressions_mut(item, element);
    }
    if let Some(selection) = &mut select.selection {
        let _ = sqlparser::ast::visit_expressions_mut(selection, element);
    }
    true
}

/// `x::regtype::text` → `flinkwire_regtype(x)`, `v::regtype[]` → `flinkwire_regtypes(v)`
/// (`regtype.rs`; pgcli's completions): datafusion-pg-catalog plans `::regtype` of an OID as the
/// OID itself, so its text was the number, where PostgreSQL shows the type's name.
fn regtype_text(expr: &mut Expr) {
    let type_name = |t: &sqlparser::ast::DataType| t.to_string().to_ascii_lowercase().replace("pg_catalog.", "");
    let Expr::Cast { expr: inner, data_type, .. } = expr else { return };
    let outer = type_name(data_type);
    let replaced = match inner.as_mut() {
        Expr::Cast { expr: oid, data_type: reg, .. } if type_name(reg) == "regtype" && matches!(outer.as_str(), "text" | "varchar" | "name") => {
            call("flinkwire_regtype", vec![std::mem::replace(oid.as_mut(), Expr::value(Value::Null))])
        }
        _ if outer == "regtype[]" => call("flinkwire_regtypes", vec![std::mem::replace(inner.as_mut(), Expr::value(Value::Null))]),
        _ => return,
    };
    *expr = replaced;
}

/// `(SELECT x FROM t WHERE <correlated>)` → `(SELECT max(x) FROM t WHERE …)`: DataFusion plans a
/// correlated scalar subquery only if it is aggregated (SQLAlchemy's column reflection, PgJDBC's
/// getTypeInfo). A scalar subquery returns at most one row in PostgreSQL (else it is an error),
/// so `max` changes nothing.
fn aggregate_scalar_subquery(query: &mut sqlparser::ast::Query) {
    use sqlparser::ast::{SelectItem, SetExpr};
    if query.limit_clause.is_some() || query.order_by.is_some() {
        return;
    }
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    let no_group = matches!(&select.group_by, sqlparser::ast::GroupByExpr::Expressions(e, _) if e.is_empty());
    if !no_group || select.having.is_some() || select.distinct.is_some() || select.projection.len() != 1 {
        return;
    }
    let expr = match &mut select.projection[0] {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
        _ => return,
    };
    if let Expr::Function(f) = expr {
        let name = f.name.to_string().to_ascii_lowercase();
        if matches!(name.as_str(), "count" | "max" | "min" | "sum" | "avg" | "array_agg" | "string_agg" | "bool_and" | "bool_or" | "json_agg" | "every") {
            return;
        }
    }
    if matches!(expr, Expr::Value(_)) {
        return;
    }
    let inner = std::mem::replace(expr, Expr::value(Value::Null));
    *expr = call("max", vec![inner]);
}

/// `information_schema._pg_expandarray(a)` (a set-returning function of composites `(x, n)`,
/// PgJDBC's getPrimaryKeys / getIndexInfo) → `unnest(flinkwire_expandarray(a))`: the same rows,
/// as structs with fields `x` and `n`.
fn expand_array(expr: &mut Expr) {
    let Expr::Function(f) = expr else { return };
    if !f.name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| i.value.eq_ignore_ascii_case("_pg_expandarray")) {
        return;
    }
    let mut inner = f.clone();
    inner.name = sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::new("flinkwire_expandarray")]);
    let mut outer = f.clone();
    outer.name = sqlparser::ast::ObjectName::from(vec![sqlparser::ast::Ident::new("unnest")]);
    outer.args = sqlparser::ast::FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
        duplicate_treatment: None,
        args: vec![sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(Expr::Function(inner)))],
        clauses: vec![],
    });
    *expr = Expr::Function(outer);
}

/// Set-returning functions DataFusion does not have, as `unnest` of a list function of
/// flinkwire's (`functions.rs`): DataFusion zips several `unnest`s of a select list row by row,
/// as PostgreSQL does with set-returning functions.
/// - `generate_subscripts(a, dim)` (SQLAlchemy's get_pk_constraint and get_indexes, next to
///   `unnest(a)`) → `unnest(flinkwire_subscripts(a))`: flinkwire's arrays are one-dimensional,
///   so `dim` is 1.
/// - `regexp_split_to_table(text, pattern)` (pgcli's casing) → `unnest(flinkwire_regexp_split(text,
///   pattern))`; with flags (a third argument) it is left alone and fails to plan.
fn set_returning(expr: &mut Expr) {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, ObjectName};
    let Expr::Function(f) = expr else { return };
    let Some(name) = f.name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase()) else { return };
    let FunctionArguments::List(list) = &f.args else { return };
    let (list_function, args) = match (name.as_str(), list.args.as_slice()) {
        ("generate_subscripts", [array, _dim]) => ("flinkwire_subscripts", vec![array.clone()]),
        ("regexp_split_to_table", [text, pattern]) => ("flinkwire_regexp_split", vec![text.clone(), pattern.clone()]),
        _ => return,
    };
    let call = |name: &str, args: Vec<FunctionArg>| {
        let mut g = f.clone();
        g.name = ObjectName::from(vec![Ident::new(name)]);
        g.args = FunctionArguments::List(FunctionArgumentList { duplicate_treatment: None, args, clauses: vec![] });
        Expr::Function(g)
    };
    let inner = call(list_function, args);
    *expr = call("unnest", vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(inner))]);
}

/// `(expr).field` → `get_field(expr, 'field')`: DataFusion plans dot access on a column only
/// (PgJDBC's `(information_schema._pg_expandarray(i.indkey)).n`, `(result.KEYS).x`).
fn field_access(expr: &mut Expr) {
    use sqlparser::ast::AccessExpr;
    let Expr::CompoundFieldAccess { root, access_chain } = expr else { return };
    let [AccessExpr::Dot(Expr::Identifier(field))] = access_chain.as_slice() else { return };
    if !matches!(root.as_ref(), Expr::Nested(_)) {
        return;
    }
    let field = field.value.to_ascii_lowercase();
    let root = std::mem::replace(root.as_mut(), Expr::value(Value::Null));
    *expr = call("get_field", vec![root, Expr::value(Value::SingleQuotedString(field))]);
}

/// `col = 'array_in'::regproc` (PgJDBC's TypeInfoCache and getTypeInfo), which
/// datafusion-pg-catalog turns into `col = (SELECT oid FROM pg_catalog.pg_proc WHERE proname =
/// 'array_in')` → `col = 'array_in'`: the crate's `regproc` columns (`pg_type.typinput`…) hold
/// function names, not OIDs.
fn regproc_by_name(expr: &mut Expr) {
    let Expr::BinaryOp { right, .. } = expr else { return };
    let Expr::Subquery(query) = right.as_ref() else { return };
    let text = query.to_string();
    let Some(name) = text.strip_prefix("SELECT oid FROM pg_catalog.pg_proc WHERE proname = '").and_then(|t| t.strip_suffix('\'')) else {
        return;
    };
    // PgJDBC 42.7 writes `'pg_catalog.array_in'::regproc`.
    let name = name.strip_prefix("pg_catalog.").unwrap_or(name);
    if name.contains('\'') {
        return;
    }
    **right = Expr::value(Value::SingleQuotedString(name.to_owned()));
}

/// The last part of an identifier, lower-cased (`t.typreceive` → `typreceive`).
fn column_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Identifier(i) => Some(i.value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.to_ascii_lowercase()),
        _ => None,
    }
}

/// The `regproc` columns of the system catalogs, which datafusion-pg-catalog holds as the
/// function's name, `-` for none, where PostgreSQL holds the function's OID, 0 for none.
const REGPROC_COLUMNS: [&str; 40] = [
    "typinput", "typoutput", "typreceive", "typsend", "typmodin", "typmodout", "typanalyze", "typsubscript",
    "prosupport", "aggfnoid", "aggtransfn", "aggfinalfn", "aggcombinefn", "aggserialfn", "aggdeserialfn", "aggmtransfn",
    "aggminvtransfn", "aggmfinalfn", "amhandler", "amproc", "conproc", "oprcode", "oprrest", "oprjoin",
    "rngcanonical", "rngsubdiff", "prsstart", "prstoken", "prsend", "prsheadline", "prslextype", "tmplinit",
    "tmpllexize", "evtfoid", "tgfoid", "lanplcallfoid", "laninline", "lanvalidator", "fdwhandler", "fdwvalidator",
];

fn is_regproc_column(expr: &Expr) -> bool {
    column_name(expr).is_some_and(|n| REGPROC_COLUMNS.contains(&n.as_str()))
}

/// `typ.typreceive != 0` (adbc-driver-postgresql's type loading: "has a binary receive
/// function") → `typ.typreceive <> '-'`: a `regproc` is 0 where it names no function, and the
/// crate's name columns say so with `-`. Only 0 has a meaning that survives; another OID is left
/// as it is and fails to plan, as a name cannot equal a number.
fn regproc_zero(expr: &mut Expr) {
    use sqlparser::ast::BinaryOperator;
    let Expr::BinaryOp { left, op: BinaryOperator::Eq | BinaryOperator::NotEq, right } = expr else { return };
    let is_zero = |e: &Expr| matches!(e, Expr::Value(v) if matches!(&v.value, Value::Number(n, _) if n.trim_start_matches('0').is_empty()));
    let none = || Expr::value(Value::SingleQuotedString("-".into()));
    if is_regproc_column(left) && is_zero(right) {
        **right = none();
    } else if is_regproc_column(right) && is_zero(left) {
        **left = none();
    }
}

/// `proc.oid = typ.typreceive` (Npgsql's type loading) → `proc.proname = typ.typreceive`:
/// datafusion-pg-catalog's `regproc` columns of pg_type hold function names, not OIDs.
fn regproc_join(expr: &mut Expr) {
    use sqlparser::ast::{BinaryOperator, Ident};
    let Expr::BinaryOp { left, op: BinaryOperator::Eq, right } = expr else { return };
    let (left_regproc, right_regproc) = (is_regproc_column(left), is_regproc_column(right));
    for (side, other_is_regproc) in [(left, right_regproc), (right, left_regproc)] {
        if let Expr::CompoundIdentifier(parts) = side.as_mut() {
            if other_is_regproc && parts.last().is_some_and(|p| p.value.eq_ignore_ascii_case("oid")) {
                *parts.last_mut().expect("non-empty") = Ident::new("proname");
                return;
            }
        }
    }
}

/// `i.indisprimary = 't'` (psqlODBC) → `i.indisprimary = true`: PostgreSQL reads `'t'` as a
/// boolean next to a boolean column; DataFusion does not. Only for the boolean columns of the
/// system catalogs, by name (`relkind = 't'` is text).
fn boolean_flag_literal(expr: &mut Expr) {
    use sqlparser::ast::BinaryOperator;
    let Expr::BinaryOp { left, op: BinaryOperator::Eq | BinaryOperator::NotEq, right } = expr else { return };
    let is_flag = |e: &Expr| {
        column_name(e).is_some_and(|n| {
            ["indis", "relhas", "relis", "atthas", "attis", "rolcan", "datis", "datallow", "typis"].iter().any(|p| n.starts_with(p))
                || ["attnotnull", "typnotnull", "typbyval", "condeferrable", "condeferred", "convalidated", "proretset", "proisstrict", "rolsuper", "indimmediate"]
                    .contains(&n.as_str())
        })
    };
    if !is_flag(left) {
        return;
    }
    let Expr::Value(v) = right.as_mut() else { return };
    let Value::SingleQuotedString(text) = &v.value else { return };
    let flag = match text.to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => true,
        "f" | "false" | "n" | "no" | "off" | "0" => false,
        _ => return,
    };
    v.value = Value::Boolean(flag);
}

/// `i.indkey[n]` (psqlODBC's SQLPrimaryKeys: `indkey[ia.attnum - 1]`) → `i.indkey[n + 1]`:
/// `int2vector` / `oidvector` subscripts start at 0 in PostgreSQL, flinkwire's lists at 1.
fn vector_subscript(expr: &mut Expr) {
    use sqlparser::ast::{AccessExpr, BinaryOperator, Subscript};
    let Expr::CompoundFieldAccess { root, access_chain } = expr else { return };
    // `indkey[n]` or `i.indkey[n]` (root `i`, then `.indkey`).
    let (name, index) = match access_chain.as_mut_slice() {
        [AccessExpr::Subscript(Subscript::Index { index })] => (column_name(root), index),
        [AccessExpr::Dot(field), AccessExpr::Subscript(Subscript::Index { index })] => (column_name(field), index),
        _ => return,
    };
    if !name.is_some_and(|n| matches!(n.as_str(), "indkey" | "indclass" | "indcollation" | "indoption")) {
        return;
    }
    let zero_based = std::mem::replace(index, Expr::value(Value::Null));
    *index = Expr::Nested(Box::new(Expr::BinaryOp {
        left: Box::new(zero_based),
        op: BinaryOperator::Plus,
        right: Box::new(Expr::value(Value::Number("1".into(), false))),
    }));
}

/// `LIKE 'pg/_%' ESCAPE '/'` (SQLAlchemy's schema listing) → `LIKE 'pg\_%'`: DataFusion knows
/// only the backslash as escape character. The literals of the pattern are re-escaped.
fn like_escape(pattern: &mut Expr, escape_char: &mut Option<sqlparser::ast::ValueWithSpan>) {
    let Some(escape) = escape_char.as_ref().and_then(|e| match &e.value {
        Value::SingleQuotedString(s) if s.chars().count() == 1 => s.chars().next(),
        _ => None,
    }) else {
        return;
    };
    if escape == '\\' {
        return;
    }
    let _ = sqlparser::ast::visit_expressions_mut(pattern, |e| {
        if let Expr::Value(v) = e {
            if let Value::SingleQuotedString(s) = &mut v.value {
                let mut out = String::with_capacity(s.len());
                let mut chars = s.chars();
                while let Some(c) = chars.next() {
                    if c == escape {
                        out.push('\\');
                        out.extend(chars.next());
                    } else if c == '\\' {
                        out.push_str("\\\\");
                    } else {
                        out.push(c);
                    }
                }
                *s = out;
            }
        }
        ControlFlow::<()>::Continue(())
    });
    *escape_char = None;
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_escape_becomes_backslash() {
        let mut s = sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            "SELECT 1 FROM t WHERE n NOT LIKE 'pg/_' || '%' ESCAPE '/'",
        )
        .unwrap()
        .remove(0);
        super::rewrite(&mut s);
        assert_eq!(s.to_string(), r"SELECT 1 FROM t WHERE n NOT LIKE 'pg\_' || '%'");
    }

    #[test]
    fn exists_in_select_list_is_counted() {
        let mut s = sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            "SELECT a AND EXISTS (SELECT 1 FROM c WHERE c.x = i.x) AS d FROM i WHERE EXISTS (SELECT 1 FROM c)",
        )
        .unwrap()
        .remove(0);
        super::rewrite(&mut s);
        assert_eq!(
            s.to_string(),
            "SELECT a AND ((SELECT count(1) AS count FROM c WHERE c.x = i.x) > 0) AS d FROM i WHERE EXISTS (SELECT 1 FROM c)"
        );
    }

    #[test]
    fn scalar_subqueries_are_aggregated() {
        let mut s = sqlparser::parser::Parser::parse_sql(
            &sqlparser::dialect::PostgreSqlDialect {},
            "SELECT (SELECT d.x AS y FROM d WHERE d.id = t.id), (SELECT count(*) FROM d) FROM t",
        )
        .unwrap()
        .remove(0);
        super::rewrite(&mut s);
        assert_eq!(s.to_string(), "SELECT (SELECT max(d.x) AS y FROM d WHERE d.id = t.id), (SELECT count(*) AS count FROM d) FROM t");
    }
}

/// `FROM … CROSS JOIN UNNEST(conkey) AS conkeys … WHERE attnum = conkeys` (adbc-driver-postgresql's
/// GetObjects constraints query) → `UNNEST(conkey) AS conkeys(conkeys)`: PostgreSQL names the
/// one column of a scalar function in FROM after the table alias, DataFusion after the call.
fn unnest_column_alias(factor: &mut sqlparser::ast::TableFactor) {
    use sqlparser::ast::{TableAliasColumnDef, TableFactor};
    let TableFactor::UNNEST { alias: Some(alias), array_exprs, with_offset: false, with_ordinality: false, .. } = factor else {
        return;
    };
    if array_exprs.len() == 1 && alias.columns.is_empty() {
        alias.columns = vec![TableAliasColumnDef { name: alias.name.clone(), data_type: None }];
    }
}

/// `FROM pg_constraint AS con CROSS JOIN UNNEST(con.conkey) AS conkeys` (adbc-driver-postgresql's
/// GetObjects constraints query; PostgreSQL joins a function in FROM laterally) → `FROM (SELECT
/// con.*, unnest(con.conkey) AS conkeys FROM pg_constraint AS con) AS con`: DataFusion cannot
/// run an UNNEST of the preceding table's column as a join. Only directly after an aliased table;
/// anything else is left as is (and fails to plan rather than answer differently).
fn lateral_unnest(query: &mut sqlparser::ast::Query) {
    use sqlparser::ast::{JoinOperator, SetExpr, TableFactor};
    let SetExpr::Select(select) = query.body.as_mut() else { return };
    for from in &mut select.from {
        let Some(first) = from.joins.first() else { continue };
        let (JoinOperator::CrossJoin(_), TableFactor::UNNEST { alias: Some(unnest_alias), array_exprs, with_offset: false, with_ordinality: false, .. }) =
            (&first.join_operator, &first.relation)
        else {
            continue;
        };
        let TableFactor::Table { name, alias: Some(table_alias), args: None, .. } = &from.relation else { continue };
        let ([array], [] | [_]) = (array_exprs.as_slice(), unnest_alias.columns.as_slice()) else { continue };
        let column = unnest_alias.columns.first().map_or(&unnest_alias.name, |c| &c.name);
        let t = &table_alias.name;
        let sql = format!("SELECT {t}.*, unnest({array}) AS {column} FROM {name} AS {t}");
        let Ok(subquery) = sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
            .try_with_sql(&sql)
            .and_then(|mut p| p.parse_query())
        else {
            continue;
        };
        from.relation = TableFactor::Derived { lateral: false, subquery, alias: Some(table_alias.clone()), sample: None };
        from.joins.remove(0);
    }
}
