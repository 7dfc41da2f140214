-- The counts behind the quality score (数据质量) per division and kind for one month.
--   $1 level ('province' | 'prefecture' | 'county'), $2 parent code or NULL, $3 kind or NULL,
--   $4 as-of (the month's last day), $5 first day, $6 first day of the next month,
--   $7 delivery deadline (a record new in the month is timely when its batch finished by
--   then), $8 fields per kind as 'kind:required attrs:optional attrs,...'.
-- Records are placed by their declared division and counted as in the statistics. Per
-- (code, kind):
--   records;
--   optional attribute fields filled, and expected (completeness);
--   rows sharing their identity with another row of the kind that month, anywhere (uniqueness);
--   rows whose point lies in the declared county (declared-vs-geometric agreement);
--   rows new in the month delivered by a real batch, and those delivered in time (timeliness;
--   generated data is not a delivery).
WITH fields AS (
    SELECT split_part(x, ':', 1) AS kind,
           split_part(x, ':', 2)::INTEGER AS required,
           split_part(x, ':', 3)::INTEGER AS optional
    FROM unnest(string_split($8, ',')) AS t(x)
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
    UNION ALL
    SELECT kind, declared_code, county_code, valid_from, valid_to, credit_code, 0, batch_id
    FROM facilities
),
month_records AS (
    SELECT r.*,
           CASE $1
               WHEN 'province' THEN d.province_code
               WHEN 'prefecture' THEN d.prefecture_code
               ELSE d.county_code
           END AS code,
           d.province_code AS in_province,
           d.prefecture_code AS in_prefecture,
           d.county_code AS declared_county,
           count(r.identity) OVER (PARTITION BY r.kind, r.identity) AS sharing
    FROM records r
    JOIN kinds k ON k.kind = r.kind
    JOIN divisions d ON d.code = r.declared_code AND d.valid_to IS NULL
    WHERE ($3::VARCHAR IS NULL OR r.kind = $3)
      AND CASE
            WHEN k.is_event THEN r.valid_from >= $5::DATE AND r.valid_from < $6::DATE
            ELSE r.valid_from <= $4::DATE AND (r.valid_to IS NULL OR r.valid_to > $4::DATE)
          END
)
SELECT m.code,
       m.kind,
       count(*) AS records,
       coalesce(sum(greatest(0, least(m.keys - f.required, f.optional))), 0)::UBIGINT AS filled,
       (count(*) * any_value(coalesce(f.optional, 0)))::UBIGINT AS expected,
       count(*) FILTER (WHERE m.sharing > 1) AS shared,
       count(*) FILTER (WHERE m.county_code = m.declared_county) AS agreeing,
       count(*) FILTER (WHERE m.valid_from >= $5::DATE AND b.source <> 'synthetic') AS delivered,
       count(*) FILTER (WHERE m.valid_from >= $5::DATE AND b.source <> 'synthetic'
                          AND b.finished_at <= $7::TIMESTAMP) AS timely
FROM month_records m
LEFT JOIN fields f ON f.kind = m.kind
LEFT JOIN batches b ON b.batch_id = m.batch_id
WHERE ($2::INTEGER IS NULL
       OR m.in_province = $2 OR m.in_prefecture = $2 OR m.declared_county = $2)
GROUP BY m.code, m.kind
ORDER BY m.code, m.kind
