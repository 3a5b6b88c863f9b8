-- adbc-driver-postgresql 1.13: repo apache/arrow-adbc, c/driver/postgresql/connection.cc,
-- kTablesQueryAll (AdbcConnectionGetObjects at depth tables or all), once per schema, with $1 the
-- schema and $2 the table types as a PostgreSQL array literal (every type when none is asked
-- for), as flinkwire runs it after inlining the parameters (recorded from its debug log).

SELECT c.relname, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' END AS reltype FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'default_database' AND c.relkind = ANY('{"p", "f", "t", "m", "v", "r"}')
