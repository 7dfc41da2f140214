-- Centroid, bounding box, area and estimated population of every current division.
SELECT code, centroid_lon, centroid_lat, min_lon, min_lat, max_lon, max_lat, area_km2, population
FROM divisions
WHERE valid_to IS NULL
ORDER BY code
