-- adbc-driver-postgresql 1.13: repo apache/arrow-adbc, c/driver/postgresql/connection.cc,
-- kColumnsQueryAll (AdbcConnectionGetObjects at depth columns or all), once per table, with $1
-- the schema and $2 the table; recorded from flinkwire's debug log (parameters inlined).

SELECT attr.attname, attr.attnum, pg_catalog.col_description(cls.oid, attr.attnum), typ.typname FROM pg_catalog.pg_attribute AS attr INNER JOIN pg_catalog.pg_class AS cls ON attr.attrelid = cls.oid INNER JOIN pg_catalog.pg_namespace AS nsp ON nsp.oid = cls.relnamespace INNER JOIN pg_catalog.pg_type AS typ ON attr.atttypid = typ.oid WHERE attr.attnum > 0 AND NOT attr.attisdropped AND nsp.nspname LIKE 'default_database' AND cls.relname LIKE 'orders'
