-- Leaf and validity interval (days since 1970-01-01; valid_to 2147483647 = still in force) of
-- every record of one kind, with its H3 res-9 cell (0 when it has none), for the in-memory
-- snapshot.  $1 kind.
SELECT county_code,
       CAST(valid_from - DATE '1970-01-01' AS INTEGER),
       coalesce(CAST(valid_to - DATE '1970-01-01' AS INTEGER), 2147483647),
       coalesce(h3, 0)
FROM service_objects WHERE kind = $1
UNION ALL
SELECT county_code,
       CAST(valid_from - DATE '1970-01-01' AS INTEGER),
       coalesce(CAST(valid_to - DATE '1970-01-01' AS INTEGER), 2147483647),
       coalesce(h3, 0)
FROM facilities WHERE kind = $1
