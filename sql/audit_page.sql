-- Audit entries, newest first: $1 user (or NULL), $2 event (or NULL), $3 from (inclusive,
-- or NULL), $4 to (exclusive, or NULL), $5 scope prefix the entry's scope must start with
-- ('' for all; a province admin sees entries of users in the province), $6 before id
-- (keyset, or NULL), $7 limit.
SELECT id, strftime(logged_at, '%Y-%m-%dT%H:%M:%SZ'), user_name, role, scope, event, method, path,
       filter, status, rows, client
FROM audit_log
WHERE ($1::VARCHAR IS NULL OR user_name = $1)
  AND ($2::VARCHAR IS NULL OR event = $2)
  AND ($3::TIMESTAMP IS NULL OR logged_at >= $3)
  AND ($4::TIMESTAMP IS NULL OR logged_at < $4)
  AND ($5 = '' OR starts_with(coalesce(scope, ''), $5))
  AND ($6::UBIGINT IS NULL OR id < $6)
ORDER BY id DESC
LIMIT $7
