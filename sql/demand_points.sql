-- Locations of one kind's service objects in force on a date, within a division (any level).
--   $1 division code, $2 kind, $3 as-of date.
SELECT o.lon, o.lat
FROM service_objects o
JOIN divisions d ON d.code = o.county_code AND d.valid_to IS NULL
WHERE (d.province_code = $1 OR d.prefecture_code = $1 OR d.county_code = $1)
  AND o.kind = $2
  AND o.valid_from <= $3::DATE
  AND (o.valid_to IS NULL OR o.valid_to > $3::DATE)
ORDER BY o.id
