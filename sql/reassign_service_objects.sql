-- Applies the temp table `reassigned` (id, county_code, h3) to service_objects.
UPDATE service_objects AS o
SET county_code = r.county_code, h3 = r.h3
FROM reassigned AS r
WHERE o.id = r.id;
