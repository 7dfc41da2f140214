-- Points of every service object, for re-assignment.
SELECT id, lon, lat FROM service_objects ORDER BY id
