-- psqlODBC: repo postgresql-interfaces/psqlodbc, connection.c (client encoding lookup after connecting). connection.c itself was not opened here: the text is the one canned next to the lo lookup by a Lua PostgreSQL-wire server for the ODBC driver.

select pg_client_encoding()
