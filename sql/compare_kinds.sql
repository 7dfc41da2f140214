-- 数据比对 between two kinds of people: each record of kind $1 in force in the month whose
-- person (same ID-number hash) also has a record of kind $2 in force in the same month, with
-- the first such record. With $1 = $2 this lists duplicates: a person held twice in a kind.
--   $1 kind, $2 other kind, $3 as-of (the month's last day), $4 first day,
--   $5 first day of the next month.
WITH month_people AS (
    SELECT o.id, o.kind, o.person_hash, o.person_masked, o.declared_code, o.county_code,
           o.valid_from, o.valid_to
    FROM service_objects o
    JOIN kinds k ON k.kind = o.kind
    WHERE o.kind IN ($1, $2)
      AND o.person_hash IS NOT NULL
      AND CASE
            WHEN k.is_event THEN o.valid_from >= $4::DATE AND o.valid_from < $5::DATE
            ELSE o.valid_from <= $3::DATE AND (o.valid_to IS NULL OR o.valid_to > $3::DATE)
          END
)
SELECT a.id, a.kind, a.person_masked, a.declared_code, a.county_code,
       strftime(a.valid_from, '%Y-%m-%d'), strftime(a.valid_to, '%Y-%m-%d'),
       count(*) AS matches,
       min(b.id) AS other_id,
       arg_min(b.kind, b.id) AS other_kind,
       arg_min(b.declared_code, b.id) AS other_code,
       strftime(arg_min(b.valid_from, b.id), '%Y-%m-%d') AS other_date
FROM month_people a
JOIN month_people b ON b.person_hash = a.person_hash AND b.id <> a.id
WHERE a.kind = $1 AND b.kind = $2
GROUP BY ALL
ORDER BY a.id
