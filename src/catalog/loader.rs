//! Loads a [`MetadataSnapshot`] through the SQL Gateway, in a dedicated session that already
//! has the environment applied: `SHOW CATALOGS`, `USE CATALOG` + `SHOW DATABASES`, `USE` +
//! `SHOW TABLES` / `SHOW VIEWS`, `DESCRIBE` per table (columns, their comments, the primary key),
//! `SHOW CREATE TABLE` / `SHOW CREATE VIEW` per table / view (the table comment, the view's
//! query), `SHOW FUNCTIONS` / `SHOW USER FUNCTIONS`.
//!
//! An object that cannot be described (a table whose connector jar is missing, a catalog whose
//! backing store is down) becomes a [`LoadProblem`]; the rest of the snapshot is still loaded.
//! Only a failure of the session itself fails the whole load.

use std::collections::BTreeSet;
use std::time::SystemTime;

use flinkwire_protocol::logical_type::{parse_sql_type, DataType, LogicalType};

use super::snapshot::*;
use crate::backend::{BackendError, GatewaySession};
use crate::config::quote_ident;

/// Loads everything visible in `session` (whose environment has been applied).
pub async fn load(
    session: &GatewaySession,
    cluster: &str,
    environment: Option<&str>,
) -> Result<MetadataSnapshot, BackendError> {
    let mut snapshot = MetadataSnapshot::empty(cluster, environment);
    snapshot.current_catalog = single(session, "SHOW CURRENT CATALOG").await?;
    snapshot.current_database = single(session, "SHOW CURRENT DATABASE").await?;
    for catalog in first_column(session.query_text("SHOW CATALOGS").await?) {
        let meta = load_catalog(session, &catalog, &mut snapshot.problems).await?;
        snapshot.catalogs.push(meta);
    }
    // Back to where the environment left the session (it is only the loader's, but a refresh
    // reuses it).
    let home = format!(
        "USE {}.{}",
        quote_ident(&snapshot.current_catalog),
        quote_ident(&snapshot.current_database)
    );
    session.query_text(&home).await?;

    let user: BTreeSet<String> = match session.query_text("SHOW USER FUNCTIONS").await {
        Ok(rows) => first_column(rows).into_iter().collect(),
        Err(e) if is_session_failure(&e) => return Err(e),
        Err(e) => {
            snapshot.problems.push(problem("SHOW USER FUNCTIONS", &e));
            BTreeSet::new()
        }
    };
    match session.query_text("SHOW FUNCTIONS").await {
        Ok(rows) => {
            snapshot.functions = first_column(rows)
                .into_iter()
                .map(|name| {
                    let kind = if user.contains(&name) { FunctionKind::User } else { FunctionKind::System };
                    FunctionMeta { name, kind }
                })
                .collect();
        }
        Err(e) if is_session_failure(&e) => return Err(e),
        Err(e) => snapshot.problems.push(problem("SHOW FUNCTIONS", &e)),
    }
    snapshot.loaded_at = SystemTime::now();
    Ok(snapshot)
}

async fn load_catalog(
    session: &GatewaySession,
    catalog: &str,
    problems: &mut Vec<LoadProblem>,
) -> Result<CatalogMeta, BackendError> {
    let mut meta = CatalogMeta { name: catalog.to_owned(), databases: Vec::new() };
    let databases = match session.query_text(&format!("SHOW DATABASES FROM {}", quote_ident(catalog))).await {
        Ok(rows) => first_column(rows),
        Err(e) if is_session_failure(&e) => return Err(e),
        Err(_) => {
            // Older gateways: no `SHOW DATABASES FROM`; switch catalogs instead.
            match session.query_text(&format!("USE CATALOG {}", quote_ident(catalog))).await {
                Ok(_) => {}
                Err(e) if is_session_failure(&e) => return Err(e),
                Err(e) => {
                    problems.push(problem(catalog, &e));
                    return Ok(meta);
                }
            }
            match session.query_text("SHOW DATABASES").await {
                Ok(rows) => first_column(rows),
                Err(e) if is_session_failure(&e) => return Err(e),
                Err(e) => {
                    problems.push(problem(catalog, &e));
                    return Ok(meta);
                }
            }
        }
    };
    for database in databases {
        let qualified = format!("{}.{}", quote_ident(catalog), quote_ident(&database));
        let mut db = DatabaseMeta { name: database.clone(), tables: Vec::new() };
        let listed = async {
            session.query_text(&format!("USE {qualified}")).await?;
            let tables = first_column(session.query_text("SHOW TABLES").await?);
            let views: BTreeSet<String> = first_column(session.query_text("SHOW VIEWS").await?).into_iter().collect();
            Ok::<_, BackendError>((tables, views))
        };
        let (tables, views) = match listed.await {
            Ok(pair) => pair,
            Err(e) if is_session_failure(&e) => return Err(e),
            Err(e) => {
                problems.push(problem(&format!("{catalog}.{database}"), &e));
                meta.databases.push(db);
                continue;
            }
        };
        let mut names: BTreeSet<String> = tables.into_iter().collect();
        names.extend(views.iter().cloned());
        for name in names {
            let kind = if views.contains(&name) { TableKind::View } else { TableKind::Table };
            let object = format!("{qualified}.{}", quote_ident(&name));
            match session.query_text(&format!("DESCRIBE {object}")).await {
                Ok(rows) => {
                    let mut table = table_from_describe(&name, kind, &rows);
                    // Only DDL says the table comment; without it the table is still usable.
                    let show = match kind {
                        TableKind::View => "SHOW CREATE VIEW",
                        TableKind::Table => "SHOW CREATE TABLE",
                    };
                    match session.query_text(&format!("{show} {object}")).await {
                        Ok(rows) => {
                            if let Some(ddl) = first_column(rows).into_iter().next() {
                                table.comment = table_comment(&ddl);
                                if kind == TableKind::View {
                                    table.view_query = Some(view_query(&ddl));
                                }
                            }
                        }
                        Err(e) if is_session_failure(&e) => return Err(e),
                        Err(_) => {}
                    }
                    db.tables.push(table);
                }
                Err(e) if is_session_failure(&e) => return Err(e),
                Err(e) => problems.push(problem(&format!("{catalog}.{database}.{name}"), &e)),
            }
        }
        meta.databases.push(db);
    }
    Ok(meta)
}

/// Builds a table from `DESCRIBE` rows: `name, type, null, key, extras, watermark` and, when a
/// column has a comment, `comment`.
pub fn table_from_describe(name: &str, kind: TableKind, rows: &[Vec<Option<String>>]) -> TableMeta {
    let cell = |row: &Vec<Option<String>>, i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let mut table = TableMeta {
        name: name.to_owned(),
        kind,
        columns: Vec::new(),
        primary_key: Vec::new(),
        comment: None,
        watermark: None,
        view_query: None,
    };
    for row in rows {
        let column = cell(row, 0);
        let type_text = cell(row, 1);
        let nullable = !cell(row, 2).eq_ignore_ascii_case("false");
        let mut data_type = parse_sql_type(&type_text)
            .unwrap_or_else(|_| DataType::nullable(LogicalType::Unknown(type_text.clone())));
        data_type.nullable = nullable;
        let key = cell(row, 3);
        if table.primary_key.is_empty() {
            if let Some(cols) = key.strip_prefix("PRI(").and_then(|k| k.strip_suffix(')')) {
                table.primary_key = cols.split(',').map(|c| c.trim().trim_matches('`').to_owned()).collect();
            }
        }
        let watermark = cell(row, 5);
        if !watermark.is_empty() {
            table.watermark = Some(WatermarkMeta { column: column.clone(), expression: watermark });
        }
        let comment = Some(cell(row, 6)).filter(|c| !c.is_empty());
        table.columns.push(ColumnMeta { name: column, data_type, comment, kind: column_kind(&cell(row, 4)) });
    }
    table
}

/// Reads DESCRIBE's `extras`: `AS expr`, `METADATA [FROM 'key'] [VIRTUAL]`, or nothing.
fn column_kind(extras: &str) -> ColumnKind {
    let extras = extras.trim();
    if let Some(expr) = extras.strip_prefix("AS ") {
        return ColumnKind::Computed(expr.trim().to_owned());
    }
    if let Some(rest) = extras.strip_prefix("METADATA") {
        let rest = rest.trim();
        let is_virtual = rest.ends_with("VIRTUAL");
        let rest = rest.trim_end_matches("VIRTUAL").trim();
        let key = rest
            .strip_prefix("FROM")
            .map(|k| k.trim().trim_matches('\'').replace("''", "'"));
        return ColumnKind::Metadata { key, is_virtual };
    }
    ColumnKind::Physical
}

/// The comment of `SHOW CREATE TABLE` / `SHOW CREATE VIEW` output: Flink writes it on a line of
/// its own after the column list, `COMMENT 'text'` with quotes doubled (column comments sit on
/// the columns' lines).
fn table_comment(ddl: &str) -> Option<String> {
    let start = ddl.find("\nCOMMENT '")? + "\nCOMMENT '".len();
    let mut out = String::new();
    let mut chars = ddl[start..].chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
            } else {
                return Some(out);
            }
        }
        out.push(c);
    }
    None
}

/// The query of `CREATE VIEW … AS query` (the whole DDL when it does not look like that).
fn view_query(ddl: &str) -> String {
    let upper = ddl.to_ascii_uppercase();
    match upper.find("\nAS ").or_else(|| upper.find(" AS ")) {
        Some(i) => ddl[i + 4..].trim().to_owned(),
        None => ddl.to_owned(),
    }
}

/// Whether the error means the session (or the gateway) is gone, not just one object.
pub fn is_session_failure(err: &BackendError) -> bool {
    match err {
        BackendError::Gateway(e) => e.is_session_lost(),
        _ => true,
    }
}

fn problem(object: &str, err: &BackendError) -> LoadProblem {
    let mut error = err.to_string();
    if let Some(line) = error.lines().next() {
        error = line.chars().take(300).collect();
    }
    LoadProblem { object: object.to_owned(), error }
}

async fn single(session: &GatewaySession, sql: &str) -> Result<String, BackendError> {
    Ok(first_column(session.query_text(sql).await?).into_iter().next().unwrap_or_default())
}

fn first_column(rows: Vec<Vec<Option<String>>>) -> Vec<String> {
    rows.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Option<String>> {
        cells.iter().map(|c| Some((*c).to_owned())).collect()
    }

    #[test]
    fn describe_rows_become_columns() {
        // The real gateway's DESCRIBE output (test-resources/sql/table.q), plus a metadata column.
        let rows = vec![
            row(&["user", "BIGINT", "FALSE", "PRI(user)", "", ""]),
            row(&["product", "VARCHAR(32)", "TRUE", "", "", ""]),
            row(&["ts", "TIMESTAMP(3) *ROWTIME*", "TRUE", "", "", "`ts` - INTERVAL '1' SECOND"]),
            row(&["ptime", "TIMESTAMP_LTZ(3) *PROCTIME*", "FALSE", "", "AS PROCTIME()", ""]),
            row(&["part", "INT", "TRUE", "", "METADATA FROM 'partition' VIRTUAL", ""]),
        ];
        let t = table_from_describe("orders", TableKind::Table, &rows);
        assert_eq!(t.primary_key, vec!["user"]);
        assert_eq!(t.columns[0].data_type, DataType::not_null(LogicalType::BigInt));
        assert_eq!(t.columns[1].data_type, DataType::nullable(LogicalType::VarChar { length: 32 }));
        assert_eq!(
            t.watermark,
            Some(WatermarkMeta { column: "ts".into(), expression: "`ts` - INTERVAL '1' SECOND".into() })
        );
        assert_eq!(t.columns[3].kind, ColumnKind::Computed("PROCTIME()".into()));
        assert!(!t.columns[3].data_type.nullable);
        assert_eq!(t.columns[4].kind, ColumnKind::Metadata { key: Some("partition".into()), is_virtual: true });
        assert_eq!(t.column("PART").unwrap().name, "part");
    }

    #[test]
    fn comments_come_from_describe_and_ddl() {
        // DESCRIBE of Flink 2.3 with a column comment: a 7th column.
        let rows = vec![row(&["id", "BIGINT", "FALSE", "", "", "", ""]), row(&["name", "STRING", "TRUE", "", "", "", "who's it"])];
        let t = table_from_describe("t", TableKind::Table, &rows);
        assert_eq!(t.columns[0].comment, None);
        assert_eq!(t.columns[1].comment.as_deref(), Some("who's it"));
        // SHOW CREATE TABLE of Flink 2.3.
        let ddl = "CREATE TABLE `demo`.`shop`.`orders` (\n  `product` VARCHAR(20) COMMENT 'what was sold'\n)\nCOMMENT 'one row ''per'' order'\nWITH (\n  'connector' = 'datagen'\n)\n";
        assert_eq!(table_comment(ddl).as_deref(), Some("one row 'per' order"));
        assert_eq!(table_comment("CREATE TABLE `t` (\n  `a` INT COMMENT 'x'\n)\nWITH (\n)"), None);
    }

    #[test]
    fn view_query_is_cut_from_the_ddl() {
        assert_eq!(view_query("CREATE VIEW `c`.`d`.`v` (`a`)\nAS SELECT 1 AS a"), "SELECT 1 AS a");
    }
}
