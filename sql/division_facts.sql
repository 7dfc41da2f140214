-- Centroid, bounding box and area of every current division.
SELECT code, centroid_lon, centroid_lat, min_lon, min_lat, max_lon, max_lat, area_km2
FROM divisions
WHERE valid_to IS NULL
ORDER BY code
