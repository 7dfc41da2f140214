-- Every record (service objects and facilities) declared in one province, for the
-- partitioned GeoParquet export, in partition order (start month, then id).
--   $1 province code (records whose declared code starts with its two digits).
SELECT id, kind, lon, lat, declared_code, county_code, h3, valid_from, valid_to, person_hash,
       strftime(valid_from, '%Y-%m') AS month
FROM (
    SELECT id, kind, lon, lat, declared_code, county_code, h3, valid_from, valid_to, person_hash
    FROM service_objects
    UNION ALL
    SELECT id, kind, lon, lat, declared_code, county_code, h3, valid_from, valid_to, NULL
    FROM facilities
)
WHERE declared_code // 10000 * 10000 = $1
ORDER BY month, id
