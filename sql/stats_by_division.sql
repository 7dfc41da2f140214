-- Counts per division for one month and the month before, with the flows between them.
-- Persons, organizations and facilities count when in force on the month's last day
-- (valid_from <= as_of < valid_to); events (marriages) count when dated within the month.
--   $1 level ('province' | 'prefecture' | 'county'), $2 parent code or NULL,
--   $3 kind or NULL (all kinds), $4 as-of (last day), $5 first day, $6 first day of next month,
--   $7 previous month's last day, $8 previous month's first day.
-- entered / exited (interval kinds only) satisfy n = n_prev + entered - exited.
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
    count(*) FILTER (WHERE CASE
        WHEN k.is_event THEN r.valid_from >= $5::DATE AND r.valid_from < $6::DATE
        ELSE r.valid_from <= $4::DATE AND (r.valid_to IS NULL OR r.valid_to > $4::DATE)
    END) AS n,
    count(*) FILTER (WHERE CASE
        WHEN k.is_event THEN r.valid_from >= $8::DATE AND r.valid_from < $5::DATE
        ELSE r.valid_from <= $7::DATE AND (r.valid_to IS NULL OR r.valid_to > $7::DATE)
    END) AS n_prev,
    count(*) FILTER (WHERE NOT k.is_event AND r.valid_from >= $5::DATE AND r.valid_from <= $4::DATE) AS entered,
    count(*) FILTER (WHERE NOT k.is_event AND r.valid_to >= $5::DATE AND r.valid_to <= $4::DATE) AS exited
FROM records r
JOIN kinds k ON k.kind = r.kind
LEFT JOIN divisions d ON d.code = r.county_code AND d.valid_to IS NULL
WHERE ($3::VARCHAR IS NULL OR r.kind = $3)
  -- Only records that can matter for either month.
  AND r.valid_from <= $4::DATE
  AND (r.valid_to IS NULL OR r.valid_to >= $8::DATE)
  AND ($2::INTEGER IS NULL
       OR d.province_code = $2 OR d.prefecture_code = $2 OR d.county_code = $2)
GROUP BY 1
