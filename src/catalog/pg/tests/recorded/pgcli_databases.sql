-- pgcli 4.7.1 (PyPI; repo dbcli/pgcli, pgcli/pgexecute.py), PGExecute.databases_query: database completions (\c).

SELECT d.datname
FROM pg_catalog.pg_database d
ORDER BY 1
