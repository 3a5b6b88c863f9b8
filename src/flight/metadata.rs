//! The Flight SQL metadata commands, answered from the session's metadata snapshot
//! (`crate::catalog::snapshot`; for a role limited to some catalogs, only those), as the
//! PostgreSQL catalog emulation is: no Flink statement, no wait for the gateway.
//!
//! Names map as Flight SQL's own: catalog = Flink catalog, db_schema = Flink database, table =
//! table or view. Filters and patterns are applied by arrow-flight's builders.

use std::sync::{Arc, OnceLock};

use arrow_array::builder::{Int32Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_flight::sql::metadata::{SqlInfoData, SqlInfoDataBuilder, XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder};
use arrow_flight::sql::{
    CommandGetCatalogs, CommandGetDbSchemas, CommandGetPrimaryKeys, CommandGetTables, Nullable, Searchable, SqlInfo,
    SqlSupportedTransaction, XdbcDataType,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use tonic::Status;

use super::error;
use crate::catalog::{MetadataSnapshot, TableKind};

/// The table types flinkwire reports.
pub const TABLE_TYPES: [&str; 2] = ["TABLE", "VIEW"];

fn kind_name(kind: TableKind) -> &'static str {
    match kind {
        TableKind::Table => "TABLE",
        TableKind::View => "VIEW",
    }
}

pub fn catalogs(snapshot: &MetadataSnapshot, query: CommandGetCatalogs) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    for catalog in &snapshot.catalogs {
        builder.append(&catalog.name);
    }
    builder.build().map_err(error::internal)
}

pub fn schemas(snapshot: &MetadataSnapshot, query: CommandGetDbSchemas) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    for catalog in &snapshot.catalogs {
        for database in &catalog.databases {
            builder.append(&catalog.name, &database.name);
        }
    }
    builder.build().map_err(error::internal)
}

/// A table's columns as the Arrow schema its query results have.
fn table_schema(table: &crate::catalog::snapshot::TableMeta) -> SchemaRef {
    let schema = flinkwire_protocol::arrow_types::to_schema(table.columns.iter().map(|c| (c.name.as_str(), &c.data_type)));
    super::types::flight_schema(&schema)
}

pub fn tables(snapshot: &MetadataSnapshot, query: CommandGetTables) -> Result<RecordBatch, Status> {
    let mut builder = query.into_builder();
    for catalog in &snapshot.catalogs {
        for database in &catalog.databases {
            for table in &database.tables {
                builder
                    .append(&catalog.name, &database.name, &table.name, kind_name(table.kind), &table_schema(table))
                    .map_err(error::internal)?;
            }
        }
    }
    builder.build().map_err(error::internal)
}

/// The schema of `CommandGetPrimaryKeys` results (Flight SQL's FlightSql.proto).
pub fn primary_keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("catalog_name", DataType::Utf8, true),
        Field::new("db_schema_name", DataType::Utf8, true),
        Field::new("table_name", DataType::Utf8, false),
        Field::new("column_name", DataType::Utf8, false),
        Field::new("key_name", DataType::Utf8, true),
        Field::new("key_sequence", DataType::Int32, false),
    ]))
}

pub fn primary_keys(snapshot: &MetadataSnapshot, query: &CommandGetPrimaryKeys) -> Result<RecordBatch, Status> {
    let (mut catalogs, mut schemas, mut tables, mut columns, mut names) =
        (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
    let mut sequence = Int32Builder::new();
    let wanted = |filter: &Option<String>, name: &str| filter.as_deref().is_none_or(|f| f == name);
    for catalog in snapshot.catalogs.iter().filter(|c| wanted(&query.catalog, &c.name)) {
        for database in catalog.databases.iter().filter(|d| wanted(&query.db_schema, &d.name)) {
            for table in database.tables.iter().filter(|t| t.name == query.table) {
                for (position, column) in table.primary_key.iter().enumerate() {
                    catalogs.append_value(&catalog.name);
                    schemas.append_value(&database.name);
                    tables.append_value(&table.name);
                    columns.append_value(column);
                    names.append_null();
                    sequence.append_value(i32::try_from(position + 1).unwrap_or(i32::MAX));
                }
            }
        }
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(catalogs.finish()),
        Arc::new(schemas.finish()),
        Arc::new(tables.finish()),
        Arc::new(columns.finish()),
        Arc::new(names.finish()),
        Arc::new(sequence.finish()),
    ];
    RecordBatch::try_new(primary_keys_schema(), arrays).map_err(error::internal)
}

/// What `CommandGetSqlInfo` answers: who the server is and what it supports.
pub fn sql_info() -> Result<&'static SqlInfoData, Status> {
    static INFO: OnceLock<Result<SqlInfoData, String>> = OnceLock::new();
    INFO.get_or_init(|| {
        let mut builder = SqlInfoDataBuilder::new();
        builder.append(SqlInfo::FlightSqlServerName, "flinkwire");
        builder.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
        builder.append(SqlInfo::FlightSqlServerArrowVersion, "1.3");
        builder.append(SqlInfo::FlightSqlServerReadOnly, false);
        builder.append(SqlInfo::FlightSqlServerSql, true);
        builder.append(SqlInfo::FlightSqlServerSubstrait, false);
        // Flink SQL has no transactions.
        builder.append(SqlInfo::FlightSqlServerTransaction, SqlSupportedTransaction::None as i32);
        builder.append(SqlInfo::FlightSqlServerCancel, true);
        builder.append(SqlInfo::SqlIdentifierQuoteChar, "`");
        builder.append(SqlInfo::SqlDdlCatalog, true);
        builder.append(SqlInfo::SqlDdlSchema, true);
        builder.append(SqlInfo::SqlDdlTable, true);
        builder.append(SqlInfo::SqlTransactionsSupported, false);
        builder.build().map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(error::internal)
}

/// One Flink type for `CommandGetXdbcTypeInfo`.
fn xdbc(type_name: &str, data_type: XdbcDataType, column_size: Option<i32>, literal: Option<(&str, &str)>, create_params: &[&str]) -> XdbcTypeInfo {
    XdbcTypeInfo {
        type_name: type_name.to_owned(),
        data_type,
        column_size,
        literal_prefix: literal.map(|l| l.0.to_owned()),
        literal_suffix: literal.map(|l| l.1.to_owned()),
        create_params: (!create_params.is_empty()).then(|| create_params.iter().map(|p| (*p).to_owned()).collect()),
        nullable: Nullable::NullabilityNullable,
        case_sensitive: matches!(data_type, XdbcDataType::XdbcChar | XdbcDataType::XdbcVarchar),
        searchable: Searchable::Full,
        unsigned_attribute: Some(false),
        fixed_prec_scale: false,
        auto_increment: Some(false),
        local_type_name: Some(type_name.to_owned()),
        minimum_scale: None,
        maximum_scale: None,
        sql_data_type: data_type,
        datetime_subcode: None,
        num_prec_radix: None,
        interval_precision: None,
    }
}

/// The Flink SQL types, as `CommandGetXdbcTypeInfo` lists them.
pub fn xdbc_type_info() -> Result<&'static XdbcTypeInfoData, Status> {
    static INFO: OnceLock<Result<XdbcTypeInfoData, String>> = OnceLock::new();
    INFO.get_or_init(|| {
        use XdbcDataType as X;
        let quoted = Some(("'", "'"));
        let mut builder = XdbcTypeInfoDataBuilder::new();
        for info in [
            xdbc("BOOLEAN", X::XdbcBit, Some(1), None, &[]),
            xdbc("TINYINT", X::XdbcTinyint, Some(3), None, &[]),
            xdbc("SMALLINT", X::XdbcSmallint, Some(5), None, &[]),
            xdbc("INTEGER", X::XdbcInteger, Some(10), None, &[]),
            xdbc("BIGINT", X::XdbcBigint, Some(19), None, &[]),
            xdbc("FLOAT", X::XdbcFloat, Some(7), None, &[]),
            xdbc("DOUBLE", X::XdbcDouble, Some(15), None, &[]),
            xdbc("DECIMAL", X::XdbcDecimal, Some(38), None, &["precision", "scale"]),
            xdbc("CHAR", X::XdbcChar, Some(2_147_483_647), quoted, &["length"]),
            xdbc("VARCHAR", X::XdbcVarchar, Some(2_147_483_647), quoted, &["length"]),
            xdbc("BINARY", X::XdbcBinary, Some(2_147_483_647), Some(("X'", "'")), &["length"]),
            xdbc("VARBINARY", X::XdbcVarbinary, Some(2_147_483_647), Some(("X'", "'")), &["length"]),
            xdbc("DATE", X::XdbcDate, Some(10), Some(("DATE '", "'")), &[]),
            xdbc("TIME", X::XdbcTime, Some(18), Some(("TIME '", "'")), &["precision"]),
            xdbc("TIMESTAMP", X::XdbcTimestamp, Some(29), Some(("TIMESTAMP '", "'")), &["precision"]),
            xdbc("TIMESTAMP_LTZ", X::XdbcTimestamp, Some(29), None, &["precision"]),
        ] {
            builder.append(info);
        }
        builder.build().map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(error::internal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::snapshot::{CatalogMeta, ColumnKind, ColumnMeta, DatabaseMeta, TableMeta};
    use arrow_array::{Array, StringArray};
    use flinkwire_protocol::logical_type::parse_sql_type;

    fn snapshot() -> MetadataSnapshot {
        let column = |name: &str, ty: &str| ColumnMeta { name: name.into(), data_type: parse_sql_type(ty).unwrap(), comment: None, kind: ColumnKind::Physical };
        let table = TableMeta {
            name: "orders".into(),
            kind: TableKind::Table,
            columns: vec![column("id", "BIGINT NOT NULL"), column("wait", "INTERVAL DAY TO SECOND(3)")],
            primary_key: vec!["id".into()],
            comment: None,
            watermark: None,
            view_query: None,
        };
        MetadataSnapshot {
            cluster: "default".into(),
            environment: None,
            catalogs: vec![
                CatalogMeta { name: "default_catalog".into(), databases: vec![DatabaseMeta { name: "default_database".into(), tables: vec![table] }] },
                CatalogMeta { name: "mem".into(), databases: vec![] },
            ],
            functions: vec![],
            current_catalog: "default_catalog".into(),
            current_database: "default_database".into(),
            loaded_at: std::time::SystemTime::now(),
            problems: vec![],
        }
    }

    #[test]
    fn snapshot_answers_metadata_commands() {
        let s = snapshot();
        assert_eq!(catalogs(&s, CommandGetCatalogs {}).unwrap().num_rows(), 2);
        let schemas = schemas(&s, CommandGetDbSchemas { catalog: Some("default_catalog".into()), db_schema_filter_pattern: None }).unwrap();
        assert_eq!(schemas.num_rows(), 1);
        let query = CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: None,
            table_name_filter_pattern: Some("ord%".into()),
            table_types: vec![],
            include_schema: true,
        };
        let tables = tables(&s, query).unwrap();
        assert_eq!(tables.num_rows(), 1);
        assert_eq!(tables.num_columns(), 5, "with the table schema");
        let keys = primary_keys(&s, &CommandGetPrimaryKeys { catalog: None, db_schema: None, table: "orders".into() }).unwrap();
        let column = keys.column(3).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(column.value(0), "id");
        assert_eq!(keys.column(4).null_count(), 1);
        assert!(sql_info().is_ok() && xdbc_type_info().is_ok());
    }
}
