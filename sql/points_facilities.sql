-- Points of every facility, for re-assignment (storage order, as for service objects).
SELECT id, lon, lat FROM facilities
