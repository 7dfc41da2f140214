-- One audit entry: user, role, scope, event, method, path, filter, status, rows, client.
INSERT INTO audit_log (logged_at, user_name, role, scope, event, method, path, filter, status, rows, client)
VALUES (now()::TIMESTAMP, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
