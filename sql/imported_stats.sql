-- Imported aggregates (shikong import-stats) summed per division at a level for one month.
--   $1 source, $2 level ('province' | 'prefecture' | 'county'), $3 parent code or NULL,
--   $4 kind or NULL (all), $5 month 'YYYY-MM'.
SELECT CASE $2
           WHEN 'province' THEN d.province_code
           WHEN 'prefecture' THEN d.prefecture_code
           ELSE d.county_code
       END AS code,
       sum(s.records)::UBIGINT AS records
FROM imported_stats s
LEFT JOIN divisions d ON d.code = s.county_code AND d.valid_to IS NULL
WHERE s.source = $1
  AND s.month = $5
  AND ($4::VARCHAR IS NULL OR s.kind = $4)
  AND ($3::INTEGER IS NULL
       OR d.province_code = $3 OR d.prefecture_code = $3 OR d.county_code = $3)
GROUP BY 1
ORDER BY 1 NULLS LAST
