-- 数据比对 against an uploaded reference list (e.g. a death register): each record of kind $2
-- (NULL: every person kind) in force on the month's last day whose person is on list $1
-- with a date before that day, e.g. a recipient still paid after the death date.
--   $1 list id, $2 kind or NULL, $3 as-of (the month's last day).
SELECT o.id, o.kind, o.person_masked, o.declared_code, o.county_code,
       strftime(o.valid_from, '%Y-%m-%d'), strftime(o.valid_to, '%Y-%m-%d'),
       count(*) AS matches,
       NULL::UBIGINT AS other_id,
       any_value(l.name) AS other_kind,
       NULL::INTEGER AS other_code,
       strftime(min(l.event_date), '%Y-%m-%d') AS other_date
FROM service_objects o
JOIN kinds k ON k.kind = o.kind
JOIN reference_lists l ON l.person_hash = o.person_hash
WHERE l.list_id = $1
  AND ($2::VARCHAR IS NULL OR o.kind = $2)
  AND NOT k.is_event
  AND o.valid_from <= $3::DATE AND (o.valid_to IS NULL OR o.valid_to > $3::DATE)
  AND l.event_date < $3::DATE
GROUP BY ALL
ORDER BY o.id
