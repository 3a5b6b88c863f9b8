-- adbc-driver-postgresql: repo apache/arrow-adbc, c/driver/postgresql/type_resolver_init.cc,
-- RebuildTypeResolver (type_query): sent three times per new connection. The driver keeps a row
-- whose typreceive it knows (boolrecv, int8recv, textrecv, numeric_recv…) and adds its array
-- type from typarray.

SELECT oid, typname, typreceive, typbasetype, typrelid, typarray FROM pg_catalog.pg_type WHERE (typreceive != 0 OR typsend != 0) AND typtype != 'r' AND typreceive::TEXT != 'array_recv'
