-- Grafana PostgreSQL data source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts (commit 12f912ab8d010f4d95a4043a0efaa20fc4ca0100), getVersion(), sent by useAutoDetectFeatures.ts / datasource.ts getVersion().
SELECT current_setting('server_version_num')::int/100 as version
