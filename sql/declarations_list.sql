-- Declared counts (部省对账) for one month or all ($1 'YYYY-MM' or NULL) and kind ($2 or NULL).
SELECT province_code, kind, month, declared, checksum, declared_by,
       strftime(declared_at, '%Y-%m-%dT%H:%M:%SZ')
FROM declarations
WHERE ($1::VARCHAR IS NULL OR month = $1)
  AND ($2::VARCHAR IS NULL OR kind = $2)
ORDER BY month, province_code, kind
