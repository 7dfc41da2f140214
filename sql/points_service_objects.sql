-- Points of every service object, for re-assignment (storage order: ids come in runs, so
-- each chunk applied covers few row groups).
SELECT id, lon, lat FROM service_objects
