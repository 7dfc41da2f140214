-- Current boundaries as GeoJSON geometry text.
SELECT code, geometry
FROM divisions
WHERE valid_to IS NULL
ORDER BY code
