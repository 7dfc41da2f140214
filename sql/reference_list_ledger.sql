-- Uploaded reference lists, newest first (one, or all: $1 list id or NULL).
SELECT list_id, name, rows_total, checksum, created_by,
       strftime(created_at, '%Y-%m-%dT%H:%M:%SZ')
FROM reference_list_ledger
WHERE ($1::UBIGINT IS NULL OR list_id = $1)
ORDER BY list_id DESC
