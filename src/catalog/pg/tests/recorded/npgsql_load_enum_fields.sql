-- Npgsql: repo npgsql/npgsql, src/Npgsql/PostgresDatabaseInfo.cs (commit 00ee7a8a), GenerateLoadEnumFieldsQuery(
-- withEnumSortOrder: true); third query of the type-loading batch.

-- Load enum fields
SELECT pg_type.oid, enumlabel
FROM pg_enum
JOIN pg_type ON pg_type.oid=enumtypid
ORDER BY oid, enumsortorder;
