-- Rows per kind over both record tables.
SELECT kind, count(*) FROM service_objects GROUP BY kind
UNION ALL
SELECT kind, count(*) FROM facilities GROUP BY kind
