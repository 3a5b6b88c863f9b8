//! Flink type → PostgreSQL type, as announced in RowDescription and ParameterDescription.
//!
//! PostgreSQL clients pick their decoders by type OID, so each Flink type is presented as the
//! PostgreSQL type whose text and binary forms carry its values without loss, and whose OID every
//! driver knows. Containers that PostgreSQL cannot express as a plain array go out as `json`.
//!
//! | Flink type | PostgreSQL type (OID) | typmod |
//! |---|---|---|
//! | BOOLEAN | bool (16) | -1 |
//! | TINYINT | int2 (21) — PostgreSQL has no 1-byte integer | -1 |
//! | SMALLINT | int2 (21) | -1 |
//! | INT | int4 (23) | -1 |
//! | BIGINT | int8 (20) | -1 |
//! | FLOAT | float4 (700) | -1 |
//! | DOUBLE | float8 (701) | -1 |
//! | DECIMAL(p, s) | numeric (1700) | ((p << 16) \| s) + 4 |
//! | CHAR(n) | bpchar (1042) | n + 4 |
//! | VARCHAR(n) | varchar (1043) | n + 4 |
//! | STRING (= VARCHAR(2147483647)), and VARCHAR/CHAR longer than PostgreSQL's 10485760 limit | text (25) | -1 |
//! | BINARY(n), VARBINARY(n), BYTES | bytea (17) | -1 |
//! | DATE | date (1082) | -1 |
//! | TIME(p) | time (1083) | min(p, 6) |
//! | TIMESTAMP(p) | timestamp (1114) | min(p, 6) |
//! | TIMESTAMP_LTZ(p), TIMESTAMP(p) WITH TIME ZONE | timestamptz (1184) | min(p, 6) |
//! | INTERVAL YEAR TO MONTH, INTERVAL DAY TO SECOND (all resolutions) | interval (1186) | -1 |
//! | ARRAY<scalar above> | the matching array type (_bool 1000, _int2 1005, _int4 1007, _int8 1016, _float4 1021, _float8 1022, _numeric 1231, _bpchar 1014, _varchar 1015, _text 1009, _bytea 1001, _date 1182, _time 1183, _timestamp 1115, _timestamptz 1185, _interval 1187) | the element's typmod |
//! | ARRAY<ARRAY/MAP/ROW/MULTISET/RAW/…> | json (114) | -1 |
//! | MAP, ROW, MULTISET | json (114) | -1 |
//! | RAW, VARIANT, unknown types | json (114) | -1 |
//! | NULL | text (25), every value NULL | -1 |
//!
//! PostgreSQL limits precision to 6 fractional digits; TIMESTAMP(7..9) values are rounded to the
//! microsecond on output. Nested arrays become JSON because Flink's `ARRAY<ARRAY<T>>` may be
//! ragged while PostgreSQL's multi-dimensional arrays must be rectangular.

use crate::logical_type::{DataType, LogicalType, MAX_LENGTH};

/// A PostgreSQL type as RowDescription announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PgType {
    pub oid: u32,
    pub name: &'static str,
    /// `pg_type.typlen`: byte width of fixed-size types, -1 for variable length.
    pub typlen: i16,
    /// `atttypmod`: length/precision modifier, -1 for none.
    pub typmod: i32,
}

macro_rules! pg_types {
    ($($konst:ident = $oid:literal, $name:literal, $len:literal;)*) => {
        $(pub const $konst: PgType = PgType { oid: $oid, name: $name, typlen: $len, typmod: -1 };)*
        /// Every type constant of this module.
        pub const ALL: &[PgType] = &[$($konst),*];
    };
}

pg_types! {
    BOOL = 16, "bool", 1;
    BYTEA = 17, "bytea", -1;
    CHAR = 18, "char", 1;
    NAME = 19, "name", 64;
    INT8 = 20, "int8", 8;
    INT2 = 21, "int2", 2;
    INT4 = 23, "int4", 4;
    TEXT = 25, "text", -1;
    OID = 26, "oid", 4;
    JSON = 114, "json", -1;
    FLOAT4 = 700, "float4", 4;
    FLOAT8 = 701, "float8", 8;
    UNKNOWN = 705, "unknown", -2;
    BPCHAR = 1042, "bpchar", -1;
    VARCHAR = 1043, "varchar", -1;
    DATE = 1082, "date", 4;
    TIME = 1083, "time", 8;
    TIMESTAMP = 1114, "timestamp", 8;
    TIMESTAMPTZ = 1184, "timestamptz", 8;
    INTERVAL = 1186, "interval", 16;
    TIMETZ = 1266, "timetz", 12;
    NUMERIC = 1700, "numeric", -1;
    UUID = 2950, "uuid", 16;
    JSONB = 3802, "jsonb", -1;
    BOOL_ARRAY = 1000, "_bool", -1;
    BYTEA_ARRAY = 1001, "_bytea", -1;
    CHAR_ARRAY = 1002, "_char", -1;
    NAME_ARRAY = 1003, "_name", -1;
    INT2_ARRAY = 1005, "_int2", -1;
    INT4_ARRAY = 1007, "_int4", -1;
    TEXT_ARRAY = 1009, "_text", -1;
    BPCHAR_ARRAY = 1014, "_bpchar", -1;
    VARCHAR_ARRAY = 1015, "_varchar", -1;
    INT8_ARRAY = 1016, "_int8", -1;
    FLOAT4_ARRAY = 1021, "_float4", -1;
    FLOAT8_ARRAY = 1022, "_float8", -1;
    OID_ARRAY = 1028, "_oid", -1;
    TIMESTAMP_ARRAY = 1115, "_timestamp", -1;
    DATE_ARRAY = 1182, "_date", -1;
    TIME_ARRAY = 1183, "_time", -1;
    TIMESTAMPTZ_ARRAY = 1185, "_timestamptz", -1;
    INTERVAL_ARRAY = 1187, "_interval", -1;
    NUMERIC_ARRAY = 1231, "_numeric", -1;
    JSON_ARRAY = 199, "_json", -1;
    UUID_ARRAY = 2951, "_uuid", -1;
    JSONB_ARRAY = 3807, "_jsonb", -1;
}

/// (element OID, array OID) pairs.
const ARRAYS: &[(u32, u32)] = &[
    (16, 1000),
    (17, 1001),
    (18, 1002),
    (19, 1003),
    (21, 1005),
    (23, 1007),
    (25, 1009),
    (1042, 1014),
    (1043, 1015),
    (20, 1016),
    (700, 1021),
    (701, 1022),
    (26, 1028),
    (1114, 1115),
    (1082, 1182),
    (1083, 1183),
    (1184, 1185),
    (1186, 1187),
    (1700, 1231),
    (114, 199),
    (2950, 2951),
    (3802, 3807),
];

/// PostgreSQL's largest CHAR/VARCHAR length modifier.
pub const MAX_VARCHAR_LENGTH: u32 = 10_485_760;

impl PgType {
    /// The same type with a length/precision modifier.
    pub const fn with_typmod(self, typmod: i32) -> Self {
        Self { typmod, ..self }
    }

    /// Is this an array type (`_int4`…)?
    pub fn is_array(&self) -> bool {
        self.element_oid().is_some()
    }

    /// For an array type, its element's OID.
    pub fn element_oid(&self) -> Option<u32> {
        ARRAYS.iter().find(|(_, a)| *a == self.oid).map(|(e, _)| *e)
    }

    /// The array type whose elements are this type, keeping the typmod (PostgreSQL reports an
    /// array column's typmod as its element's).
    pub fn array_type(&self) -> Option<PgType> {
        let (_, array_oid) = ARRAYS.iter().find(|(e, _)| *e == self.oid)?;
        pg_type_by_oid(*array_oid).map(|a| a.with_typmod(self.typmod))
    }
}

/// The PostgreSQL type of a built-in OID (typmod -1), for ParameterDescription and for the OIDs
/// a client declares in Parse. `None` for OIDs this server does not know.
pub fn pg_type_by_oid(oid: u32) -> Option<PgType> {
    ALL.iter().find(|t| t.oid == oid).copied()
}

/// The PostgreSQL type of a Flink type (see the module table).
pub fn pg_type(ty: &DataType) -> PgType {
    scalar_pg_type(&ty.ty).unwrap_or_else(|| match &ty.ty {
        LogicalType::Array(elem) => {
            scalar_pg_type(&elem.ty).and_then(|e| e.array_type()).unwrap_or(JSON)
        }
        LogicalType::Null => TEXT,
        _ => JSON,
    })
}

/// The PostgreSQL type of a type that is a PostgreSQL scalar; `None` for containers, RAW and
/// NULL.
fn scalar_pg_type(ty: &LogicalType) -> Option<PgType> {
    Some(match ty {
        LogicalType::Boolean => BOOL,
        LogicalType::TinyInt | LogicalType::SmallInt => INT2,
        LogicalType::Integer => INT4,
        LogicalType::BigInt => INT8,
        LogicalType::Float => FLOAT4,
        LogicalType::Double => FLOAT8,
        LogicalType::Decimal { precision, scale } => {
            NUMERIC.with_typmod(((i32::from(*precision) << 16) | i32::from(*scale)) + 4)
        }
        LogicalType::Char { length } if *length <= MAX_VARCHAR_LENGTH => {
            BPCHAR.with_typmod(*length as i32 + 4)
        }
        LogicalType::VarChar { length } if *length <= MAX_VARCHAR_LENGTH => {
            VARCHAR.with_typmod(*length as i32 + 4)
        }
        LogicalType::Char { .. } | LogicalType::VarChar { .. } => TEXT,
        LogicalType::Binary { .. } | LogicalType::VarBinary { .. } => BYTEA,
        LogicalType::Date => DATE,
        LogicalType::Time { precision } => TIME.with_typmod(i32::from((*precision).min(6))),
        LogicalType::Timestamp { precision, .. } => TIMESTAMP.with_typmod(i32::from((*precision).min(6))),
        LogicalType::TimestampLtz { precision, .. } | LogicalType::TimestampTz { precision } => {
            TIMESTAMPTZ.with_typmod(i32::from((*precision).min(6)))
        }
        LogicalType::IntervalYearMonth { .. } | LogicalType::IntervalDayTime { .. } => INTERVAL,
        LogicalType::Array(_)
        | LogicalType::Multiset(_)
        | LogicalType::Map { .. }
        | LogicalType::Row(_)
        | LogicalType::Null
        | LogicalType::Raw { .. }
        | LogicalType::Variant
        | LogicalType::Unknown(_) => return None,
    })
}

// STRING must come out as text, not varchar(2147483651): the length check above relies on it.
const _: () = assert!(MAX_LENGTH > MAX_VARCHAR_LENGTH);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logical_type::parse_sql_type;

    fn pg(s: &str) -> PgType {
        pg_type(&parse_sql_type(s).unwrap())
    }

    #[test]
    fn maps_scalars() {
        assert_eq!(pg("BOOLEAN"), BOOL);
        assert_eq!(pg("TINYINT"), INT2);
        assert_eq!(pg("INT NOT NULL"), INT4);
        assert_eq!(pg("BIGINT"), INT8);
        assert_eq!(pg("FLOAT"), FLOAT4);
        assert_eq!(pg("DOUBLE"), FLOAT8);
        assert_eq!(pg("DECIMAL(10, 2)"), NUMERIC.with_typmod((10 << 16 | 2) + 4));
        assert_eq!(pg("CHAR(3)"), BPCHAR.with_typmod(7));
        assert_eq!(pg("VARCHAR(5)"), VARCHAR.with_typmod(9));
        assert_eq!(pg("STRING"), TEXT);
        assert_eq!(pg("BYTES"), BYTEA);
        assert_eq!(pg("BINARY(2)"), BYTEA);
        assert_eq!(pg("DATE"), DATE);
        assert_eq!(pg("TIME(0)"), TIME.with_typmod(0));
        assert_eq!(pg("TIMESTAMP(3)"), TIMESTAMP.with_typmod(3));
        assert_eq!(pg("TIMESTAMP(9)"), TIMESTAMP.with_typmod(6));
        assert_eq!(pg("TIMESTAMP_LTZ(3)"), TIMESTAMPTZ.with_typmod(3));
        assert_eq!(pg("INTERVAL DAY TO SECOND(3)"), INTERVAL);
        assert_eq!(pg("INTERVAL YEAR TO MONTH"), INTERVAL);
        assert_eq!(pg("NULL"), TEXT);
    }

    #[test]
    fn maps_containers() {
        assert_eq!(pg("ARRAY<INT>"), INT4_ARRAY);
        assert_eq!(pg("ARRAY<TINYINT>"), INT2_ARRAY);
        assert_eq!(pg("ARRAY<STRING>"), TEXT_ARRAY);
        assert_eq!(pg("ARRAY<VARCHAR(5)>"), VARCHAR_ARRAY.with_typmod(9));
        assert_eq!(pg("ARRAY<DECIMAL(5, 1)>").oid, 1231);
        assert_eq!(pg("ARRAY<TIMESTAMP_LTZ(3)>").oid, 1185);
        assert_eq!(pg("ARRAY<BYTES>"), BYTEA_ARRAY);
        assert_eq!(pg("ARRAY<ARRAY<INT>>"), JSON);
        assert_eq!(pg("ARRAY<ROW<a INT>>"), JSON);
        assert_eq!(pg("ARRAY<NULL>"), JSON);
        assert_eq!(pg("MAP<STRING, INT>"), JSON);
        assert_eq!(pg("MULTISET<STRING>"), JSON);
        assert_eq!(pg("ROW<a INT>"), JSON);
        assert_eq!(pg("RAW('x', ?)"), JSON);
        assert_eq!(INT4_ARRAY.element_oid(), Some(23));
        assert!(!INT4.is_array());
    }

    #[test]
    fn looks_up_oids() {
        assert_eq!(pg_type_by_oid(23), Some(INT4));
        assert_eq!(pg_type_by_oid(1043).map(|t| t.name), Some("varchar"));
        assert_eq!(pg_type_by_oid(3807).map(|t| t.name), Some("_jsonb"));
        assert_eq!(pg_type_by_oid(999_999), None);
        for t in ALL {
            assert_eq!(pg_type_by_oid(t.oid), Some(*t));
        }
        for (e, a) in ARRAYS {
            assert!(pg_type_by_oid(*e).is_some() && pg_type_by_oid(*a).is_some(), "{e} {a}");
        }
    }
}
