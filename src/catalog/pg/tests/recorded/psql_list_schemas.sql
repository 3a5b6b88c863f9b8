-- psql 15: repo postgres/postgres, src/bin/psql/describe.c (REL_15_STABLE not in the code index; stored copy with Copyright 2000-2025, branches for a server reporting 160006): listSchemas for \dn (no pattern, not verbose).

SELECT n.nspname AS "Name",
  pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
FROM pg_catalog.pg_namespace n
WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
ORDER BY 1;
