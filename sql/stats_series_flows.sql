-- Monthly flows of one division (or the whole country when $1 is NULL): records starting and
-- ending per calendar month. A month's count follows by accumulation:
--   interval kinds: count(M) = starts up to M - ends up to M  (valid_to is exclusive)
--   events:         count(M) = starts in M
--   $1 division code or NULL, $2 kind or NULL.
WITH records AS (
    SELECT kind, county_code, valid_from, valid_to FROM service_objects
    UNION ALL
    SELECT kind, county_code, valid_from, valid_to FROM facilities
),
scoped AS (
    SELECT k.is_event, r.valid_from, r.valid_to
    FROM records r
    JOIN kinds k ON k.kind = r.kind
    LEFT JOIN divisions d ON d.code = r.county_code AND d.valid_to IS NULL
    WHERE ($2::VARCHAR IS NULL OR r.kind = $2)
      AND ($1::INTEGER IS NULL
           OR d.province_code = $1 OR d.prefecture_code = $1 OR d.county_code = $1)
)
SELECT is_event, strftime(valid_from, '%Y-%m') AS month, count(*) AS starts, 0 AS ends
FROM scoped GROUP BY ALL
UNION ALL
SELECT is_event, strftime(valid_to, '%Y-%m') AS month, 0 AS starts, count(*) AS ends
FROM scoped WHERE valid_to IS NOT NULL AND NOT is_event GROUP BY ALL
