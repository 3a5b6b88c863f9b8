-- pgcli 4.7.1 (PyPI; repo dbcli/pgcli, pgcli/pgexecute.py), PGExecute.casing: the most common casing of names in function bodies (generate_casing_file).

WITH Words AS (
      SELECT regexp_split_to_table(prosrc, '\W+') AS Word, COUNT(1)
      FROM pg_catalog.pg_proc P
      JOIN pg_catalog.pg_namespace N ON N.oid = P.pronamespace
      JOIN pg_catalog.pg_language L ON L.oid = P.prolang
      WHERE L.lanname IN ('sql', 'plpgsql')
      AND N.nspname NOT IN ('pg_catalog', 'information_schema')
      GROUP BY Word
  ),
  OrderWords AS (
      SELECT Word,
          ROW_NUMBER() OVER(PARTITION BY LOWER(Word) ORDER BY Count DESC)
      FROM Words
      WHERE Word ~* '.*[a-z].*'
  ),
  Names AS (
      --Column names
      SELECT attname AS Name
      FROM pg_catalog.pg_attribute
      UNION -- Table/view names
      SELECT relname
      FROM pg_catalog.pg_class
      UNION -- Function names
      SELECT proname
      FROM pg_catalog.pg_proc
      UNION -- Type names
      SELECT typname
      FROM pg_catalog.pg_type
      UNION -- Schema names
      SELECT nspname
      FROM pg_catalog.pg_namespace
      UNION -- Parameter names
      SELECT unnest(proargnames)
      FROM pg_proc
  )
  SELECT Word
  FROM OrderWords
  WHERE LOWER(Word) IN (SELECT Name FROM Names)
  AND Row_Number = 1;
