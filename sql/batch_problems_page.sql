SELECT line, field, value, code, severity, detail, declared_code
FROM batch_problems
WHERE batch_id = $1 AND ($2::VARCHAR IS NULL OR severity = $2)
ORDER BY line, code, field
LIMIT $3 OFFSET $4
