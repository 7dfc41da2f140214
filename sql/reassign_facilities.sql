-- Applies the temp table `reassigned` (id, county_code, h3) to facilities.
UPDATE facilities AS f
SET county_code = r.county_code, h3 = r.h3
FROM reassigned AS r
WHERE f.id = r.id;
