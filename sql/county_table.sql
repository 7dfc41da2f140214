-- The 只报一次 table: per leaf division and kind, the month's figure (in force on the last
-- day; events dated within the month).
--   $1 parent code or NULL, $2 as-of (last day), $3 first day, $4 first day of next month.
WITH records AS (
    SELECT kind, county_code, valid_from, valid_to FROM service_objects
    UNION ALL
    SELECT kind, county_code, valid_from, valid_to FROM facilities
)
SELECT d.county_code AS code, r.kind, count(*) AS n
FROM records r
JOIN kinds k ON k.kind = r.kind
JOIN divisions d ON d.code = r.county_code AND d.valid_to IS NULL
WHERE CASE
        WHEN k.is_event THEN r.valid_from >= $3::DATE AND r.valid_from < $4::DATE
        ELSE r.valid_from <= $2::DATE AND (r.valid_to IS NULL OR r.valid_to > $2::DATE)
      END
  AND ($1::INTEGER IS NULL
       OR d.province_code = $1 OR d.prefecture_code = $1 OR d.county_code = $1)
GROUP BY ALL
