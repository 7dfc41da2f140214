-- Rows delivered and rows in error per month by the batches of a month range, for one
-- division (or the country): the validity part of quality_trend.sql.
--   $1 division code or NULL, $2 kind or NULL, $3 first month 'YYYY-MM', $4 last month.
-- A batch belongs to its declared slice month, or to the month it was loaded in.
SELECT coalesce(b.month, strftime(b.created_at, '%Y-%m')) AS month,
       sum(r.rows_total)::UBIGINT AS rows_total,
       sum(r.rows_rejected)::UBIGINT AS rows_rejected
FROM batch_division_rows r
JOIN batches b ON b.batch_id = r.batch_id
JOIN divisions d ON d.code = r.declared_code AND d.valid_to IS NULL
WHERE b.status IN ('committed', 'rejected', 'replaced')
  AND coalesce(b.month, strftime(b.created_at, '%Y-%m')) BETWEEN $3 AND $4
  AND ($2::VARCHAR IS NULL OR b.kind = $2)
  AND ($1::INTEGER IS NULL
       OR d.province_code = $1 OR d.prefecture_code = $1 OR d.county_code = $1)
GROUP BY 1
ORDER BY 1
