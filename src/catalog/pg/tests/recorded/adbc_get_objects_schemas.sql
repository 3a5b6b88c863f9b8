-- adbc-driver-postgresql 1.13: repo apache/arrow-adbc, c/driver/postgresql/connection.cc,
-- kSchemaQueryAll (AdbcConnectionGetObjects at depth db_schemas or deeper), after
-- kCatalogQueryAll (`SELECT datname FROM pg_catalog.pg_database`); recorded from flinkwire's
-- debug log.

SELECT nspname FROM pg_catalog.pg_namespace WHERE (nspname !~ '^pg_' OR oid = pg_my_temp_schema()) AND nspname <> 'information_schema'
