-- A new user: name, role, scope, token id, token hash, created by.
INSERT INTO users (name, role, scope, token_id, token_hash, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6, now()::TIMESTAMP)
