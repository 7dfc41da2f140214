-- Every facility, for the in-memory facility index (tens of thousands of rows).
SELECT id, kind, name, credit_code, lon, lat, declared_code, county_code, h3,
       capacity, occupied, valid_from, valid_to
FROM facilities
ORDER BY id
