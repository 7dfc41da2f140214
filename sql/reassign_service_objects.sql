-- Applies one chunk of the temp table `reassigned` (id, county_code, h3) to service_objects.
-- $1, $2: the chunk's lowest and highest id (lets the scan skip other row groups).
UPDATE service_objects AS o
SET county_code = r.county_code, h3 = r.h3
FROM reassigned AS r
WHERE o.id = r.id AND o.id BETWEEN $1 AND $2;
