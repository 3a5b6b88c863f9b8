-- pgcli 4.7.1 (PyPI; repo dbcli/pgcli, pgcli/pgexecute.py), PGExecute.search_path_query: the schemas completions look in.

SELECT * FROM unnest(current_schemas(true))
