-- Applies one chunk of the temp table `reassigned` (id, county_code, h3) to facilities.
-- $1, $2: the chunk's lowest and highest id (lets the scan skip other row groups).
UPDATE facilities AS f
SET county_code = r.county_code, h3 = r.h3
FROM reassigned AS r
WHERE f.id = r.id AND f.id BETWEEN $1 AND $2;
