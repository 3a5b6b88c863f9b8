-- psqlODBC: repo postgresql-interfaces/psqlodbc, info.c (commit 01163448), PGAPI_Tables (SQLTables) with schema 'default_database', table 'orders' (search pattern: gen_opestr gives "like E" on servers >= 8.1, escape_in_literal '\\').

select relname, nspname, relkind from pg_catalog.pg_class c, pg_catalog.pg_namespace n where relkind in ('r', 'v', 'm', 'f', 'p') and nspname like E'default_database' and relname like E'orders' and nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'pg_temp_1') and n.oid = relnamespace order by nspname, relname
