-- Records per county for one kind and month, run as written by DuckDB (on shikong's database
-- file) and PostgreSQL (on the same columns loaded there): shikong's month semantics, as in
-- sql/stats_by_division.sql at level 'county' without a parent. Persons, organizations and
-- facilities count when in force on the month's last day (valid_from <= as_of < valid_to);
-- events when dated within the month; entered/exited are the month's flows of interval kinds.
-- Placeholders: {kind} {as_of} {first} {next_first} {prev_as_of} {prev_first}.
WITH records AS (
    SELECT kind, county_code, valid_from, valid_to FROM service_objects
    UNION ALL
    SELECT kind, county_code, valid_from, valid_to FROM facilities
)
SELECT
    d.county_code AS code,
    count(*) FILTER (WHERE CASE
        WHEN k.is_event THEN r.valid_from >= DATE '{first}' AND r.valid_from < DATE '{next_first}'
        ELSE r.valid_from <= DATE '{as_of}' AND (r.valid_to IS NULL OR r.valid_to > DATE '{as_of}')
    END) AS n,
    count(*) FILTER (WHERE CASE
        WHEN k.is_event THEN r.valid_from >= DATE '{prev_first}' AND r.valid_from < DATE '{first}'
        ELSE r.valid_from <= DATE '{prev_as_of}' AND (r.valid_to IS NULL OR r.valid_to > DATE '{prev_as_of}')
    END) AS n_prev,
    count(*) FILTER (WHERE NOT k.is_event AND r.valid_from >= DATE '{first}' AND r.valid_from <= DATE '{as_of}') AS entered,
    count(*) FILTER (WHERE NOT k.is_event AND r.valid_to >= DATE '{first}' AND r.valid_to <= DATE '{as_of}') AS exited
FROM records r
JOIN kinds k ON k.kind = r.kind
LEFT JOIN divisions d ON d.code = r.county_code AND d.valid_to IS NULL
WHERE r.kind = '{kind}'
  AND r.valid_from <= DATE '{as_of}'
  AND (r.valid_to IS NULL OR r.valid_to >= DATE '{prev_first}')
GROUP BY 1
