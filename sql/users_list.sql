-- Users, by name ($1: only this token id, or NULL for all).
SELECT name, role, scope, token_id, token_hash, created_by,
       strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'),
       strftime(revoked_at, '%Y-%m-%dT%H:%M:%SZ')
FROM users
WHERE ($1::VARCHAR IS NULL OR token_id = $1)
ORDER BY name
