-- adbc-driver-postgresql: repo apache/arrow-adbc, c/driver/postgresql/type_resolver_init.cc,
-- RebuildTypeResolver (kColumnsQuery): the columns of every record type, sent once per new
-- connection before the pg_type query (adbc_type_resolver_types.sql).

SELECT
    attrelid,
    attname,
    atttypid
FROM
    pg_catalog.pg_attribute
ORDER BY
    attrelid, attnum
