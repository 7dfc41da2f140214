-- One page of service objects (persons, organizations, events), keyset-paginated by id.
-- Person ID numbers exist only masked. Every filter is optional (NULL = no filter):
--   $1 division code (any level), $2 kind, $3 date (NULL = any time) with $13 false: in force
--   on the date; $13 true: ended on or before it,
--   $4..$7 bbox min lon, min lat, max lon, max lat,
--   $8, $9 centre lon, lat and $10 radius in km (great-circle),
--   $11 id after which the page starts, $12 page size.
SELECT o.id, o.kind, o.lon, o.lat, o.declared_code, o.county_code, o.h3,
       strftime(o.valid_from, '%Y-%m-%d'), strftime(o.valid_to, '%Y-%m-%d'),
       o.person_masked, o.credit_code, o.attrs
FROM service_objects o
LEFT JOIN divisions d ON d.code = o.county_code AND d.valid_to IS NULL
WHERE o.id > $11
  AND ($1::INTEGER IS NULL OR d.province_code = $1 OR d.prefecture_code = $1 OR d.county_code = $1)
  AND ($2::VARCHAR IS NULL OR o.kind = $2)
  AND ($3::DATE IS NULL OR CASE
        WHEN $13::BOOLEAN THEN o.valid_to IS NOT NULL AND o.valid_to <= $3::DATE
        ELSE o.valid_from <= $3::DATE AND (o.valid_to IS NULL OR o.valid_to > $3::DATE)
      END)
  AND ($4::DOUBLE IS NULL OR (o.lon BETWEEN $4 AND $6 AND o.lat BETWEEN $5 AND $7))
  AND ($10::DOUBLE IS NULL OR (
        -- A cheap box first, then the haversine distance.
        o.lat BETWEEN $9 - $10 / 111.0 AND $9 + $10 / 111.0
        AND 2 * 6371.0088 * asin(sqrt(
              pow(sin(radians(o.lat - $9) / 2), 2)
            + cos(radians($9)) * cos(radians(o.lat)) * pow(sin(radians(o.lon - $8) / 2), 2)
        )) <= $10))
ORDER BY o.id
LIMIT $12
