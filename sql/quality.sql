-- The counts behind the quality score (数据质量) per month, division and kind over a range of
-- months.
--   $1 level ('province' | 'prefecture' | 'county'), $2 parent code or NULL, $3 kind or NULL,
--   $4 first month's first day, $5 last month's first day,
--   $6 fields per kind as 'kind:required attrs:optional attrs,...',
--   $7 days after a month's end by which its new records are due.
-- Records are placed by their declared division and counted as in the statistics (in force
-- on the month's last day; events dated in the month). Per (month, code, kind):
--   records;
--   optional attribute fields filled, and expected (completeness);
--   rows sharing their identity with another row of the kind that month, anywhere in the
--   country (uniqueness) — only identities held more than once at all are followed month by
--   month;
--   rows whose point lies in the declared county (declared-vs-geometric agreement);
--   rows new in the month delivered by a real batch, and those delivered in time (timeliness;
--   generated data is not a delivery).
WITH months AS (
    SELECT m::DATE AS first_day,
           (m + INTERVAL 1 MONTH)::DATE AS next_day,
           (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS as_of,
           (m + INTERVAL 1 MONTH)::TIMESTAMP + to_days($7::INTEGER) - INTERVAL 1 SECOND AS deadline
    FROM generate_series($4::DATE, $5::DATE, INTERVAL 1 MONTH) AS t(m)
),
fields AS (
    SELECT split_part(x, ':', 1) AS kind,
           split_part(x, ':', 2)::INTEGER AS required,
           split_part(x, ':', 3)::INTEGER AS optional
    FROM unnest(string_split($6, ',')) AS t(x)
),
records AS (
    SELECT kind, declared_code, county_code, valid_from, valid_to,
           coalesce(person_hash, credit_code) AS identity,
           -- Keys of the compact JSON object (each but the first follows ',"'), less the
           -- code-change note added at ingest.
           (length(attrs) - length(replace(attrs, ',"', ''))) // 2
             + CASE WHEN starts_with(attrs, '{"') THEN 1 ELSE 0 END
             - CASE WHEN contains(attrs, '"declared_code_original":') THEN 1 ELSE 0 END AS keys,
           batch_id
    FROM service_objects
    WHERE $3::VARCHAR IS NULL OR kind = $3
    UNION ALL
    SELECT kind, declared_code, county_code, valid_from, valid_to, credit_code, 0, batch_id
    FROM facilities
    WHERE $3::VARCHAR IS NULL OR kind = $3
),
multi AS (
    SELECT kind, identity FROM records WHERE identity IS NOT NULL
    GROUP BY kind, identity HAVING count(*) > 1
),
placed AS (
    SELECT r.*, k.is_event, m.identity IS NOT NULL AS is_multi,
           CASE $1
               WHEN 'province' THEN d.province_code
               WHEN 'prefecture' THEN d.prefecture_code
               ELSE d.county_code
           END AS code,
           r.county_code = d.county_code AS agrees,
           ($2::INTEGER IS NULL
            OR d.province_code = $2 OR d.prefecture_code = $2 OR d.county_code = $2) AS inside,
           greatest(0, least(r.keys - f.required, f.optional)) AS filled,
           coalesce(f.optional, 0) AS expected,
           b.source <> 'synthetic' AS delivered,
           b.finished_at
    FROM records r
    JOIN kinds k ON k.kind = r.kind
    JOIN divisions d ON d.code = r.declared_code AND d.valid_to IS NULL
    LEFT JOIN fields f ON f.kind = r.kind
    LEFT JOIN batches b ON b.batch_id = r.batch_id
    LEFT JOIN multi m ON m.kind = r.kind AND m.identity = r.identity
),
month_records AS (
    SELECT mo.first_day, mo.deadline, p.*
    FROM placed p
    JOIN months mo ON CASE
            WHEN p.is_event THEN p.valid_from >= mo.first_day AND p.valid_from < mo.next_day
            ELSE p.valid_from <= mo.as_of AND (p.valid_to IS NULL OR p.valid_to > mo.as_of)
        END
    WHERE p.inside OR p.is_multi
),
-- Rows inside the parent whose identity is held more than once in the kind that month.
shared AS (
    SELECT m.first_day, m.code, m.kind, count(*) AS shared
    FROM month_records m
    JOIN (
        SELECT first_day, kind, identity
        FROM month_records
        WHERE is_multi
        GROUP BY first_day, kind, identity
        HAVING count(*) > 1
    ) s ON s.first_day = m.first_day AND s.kind = m.kind AND s.identity = m.identity
    WHERE m.inside
    GROUP BY m.first_day, m.code, m.kind
)
SELECT strftime(m.first_day, '%Y-%m') AS month,
       m.code,
       m.kind,
       count(*) AS records,
       coalesce(sum(m.filled), 0)::UBIGINT AS filled,
       sum(m.expected)::UBIGINT AS expected,
       coalesce(any_value(s.shared), 0)::UBIGINT AS shared,
       count(*) FILTER (WHERE m.agrees) AS agreeing,
       count(*) FILTER (WHERE m.valid_from >= m.first_day AND m.delivered) AS delivered,
       count(*) FILTER (WHERE m.valid_from >= m.first_day AND m.delivered
                          AND m.finished_at <= m.deadline) AS timely
FROM month_records m
LEFT JOIN shared s ON s.first_day = m.first_day AND s.code = m.code AND s.kind = m.kind
WHERE m.inside
GROUP BY m.first_day, m.code, m.kind
ORDER BY m.first_day, m.code, m.kind
