-- Counts per division for one month: persons, organizations and facilities in force on the
-- last day of the month ($asof), events dated within the month [$first, $next).
-- $1 level ('province' | 'prefecture' | 'county'), $2 parent code or NULL,
-- $3 kind or NULL (all kinds), $4 as-of date, $5 first day, $6 first day of next month.
-- Rows with code NULL are records outside every boundary (unassigned).
WITH records AS (
    SELECT kind, county_code, valid_from, valid_to FROM service_objects
    UNION ALL
    SELECT kind, county_code, valid_from, valid_to FROM facilities
)
SELECT
    CASE $1
        WHEN 'province' THEN d.province_code
        WHEN 'prefecture' THEN d.prefecture_code
        ELSE d.county_code
    END AS code,
    count(*) AS n
FROM records r
JOIN kinds k ON k.kind = r.kind
LEFT JOIN divisions d ON d.code = r.county_code AND d.valid_to IS NULL
WHERE ($3::VARCHAR IS NULL OR r.kind = $3)
  AND CASE
        WHEN k.is_event THEN r.valid_from >= $5::DATE AND r.valid_from < $6::DATE
        ELSE r.valid_from <= $4::DATE AND (r.valid_to IS NULL OR r.valid_to > $4::DATE)
      END
  AND ($2::INTEGER IS NULL
       OR d.province_code = $2 OR d.prefecture_code = $2 OR d.county_code = $2)
GROUP BY 1
