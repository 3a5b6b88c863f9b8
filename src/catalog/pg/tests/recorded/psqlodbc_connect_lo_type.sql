-- psqlODBC: repo postgresql-interfaces/psqlodbc, connection.c (CC_connect, large-object type lookup sent right after connecting). connection.c itself was not opened here: the text is the one canned verbatim by other PostgreSQL-wire servers for the ODBC driver (xtdb, FoundationDB SQL layer, kendar pgwire).

select oid, typbasetype from pg_type where typname = 'lo'
