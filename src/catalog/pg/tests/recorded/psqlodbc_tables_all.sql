-- psqlODBC: repo postgresql-interfaces/psqlodbc, info.c (commit 01163448), PGAPI_Tables (SQLTables) with no catalog/schema/table/type (Tableau's first listing; TABLE_IN_RELKIND, no system tables, not accessible-only).

select relname, nspname, relkind from pg_catalog.pg_class c, pg_catalog.pg_namespace n where relkind in ('r', 'v', 'm', 'f', 'p') and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') and n.oid = relnamespace order by nspname, relname
