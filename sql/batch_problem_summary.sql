SELECT code, severity, count(*) AS n
FROM batch_problems
WHERE batch_id = $1
GROUP BY code, severity
ORDER BY n DESC, code
