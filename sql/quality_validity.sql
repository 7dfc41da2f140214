-- Rows delivered and rows in error per month, division and kind by the batches of a range of
-- months (the validity part of the quality score), committed or rejected alike.
--   $1 level, $2 parent code or NULL, $3 kind or NULL, $4 first month 'YYYY-MM', $5 last month.
-- A batch belongs to its declared slice month, or to the month it was loaded in.
SELECT coalesce(b.month, strftime(b.created_at, '%Y-%m')) AS month,
       CASE $1
           WHEN 'province' THEN d.province_code
           WHEN 'prefecture' THEN d.prefecture_code
           ELSE d.county_code
       END AS code,
       b.kind,
       sum(r.rows_total)::UBIGINT AS rows_total,
       sum(r.rows_rejected)::UBIGINT AS rows_rejected
FROM batch_division_rows r
JOIN batches b ON b.batch_id = r.batch_id
JOIN divisions d ON d.code = r.declared_code AND d.valid_to IS NULL
WHERE b.status IN ('committed', 'rejected', 'replaced')
  AND coalesce(b.month, strftime(b.created_at, '%Y-%m')) BETWEEN $4 AND $5
  AND ($3::VARCHAR IS NULL OR b.kind = $3)
  AND ($2::INTEGER IS NULL
       OR d.province_code = $2 OR d.prefecture_code = $2 OR d.county_code = $2)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
