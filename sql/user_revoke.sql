-- Revokes a user's token ($1 name); a revoked user stays listed.
UPDATE users SET revoked_at = now()::TIMESTAMP
WHERE name = $1 AND revoked_at IS NULL
