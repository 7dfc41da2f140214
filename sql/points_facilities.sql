-- Points of every facility, for re-assignment.
SELECT id, lon, lat FROM facilities ORDER BY id
