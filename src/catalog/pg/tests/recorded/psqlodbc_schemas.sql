-- psqlODBC: repo postgresql-interfaces/psqlodbc, info.c (commit 01163448), PGAPI_Tables (SQLTables) with catalog '', schema SQL_ALL_SCHEMAS ('%'), table '' (list_schemas).

select NULL, nspname, NULL from pg_catalog.pg_namespace n where true and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') order by nspname
