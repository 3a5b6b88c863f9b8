-- pgcli 4.7.1 (PyPI; repo dbcli/pgcli, pgcli/pgexecute.py), PGExecute.schemata_query: schema completions.

SELECT  nspname
FROM    pg_catalog.pg_namespace
ORDER BY 1
