-- The current version of every division, without geometry.
SELECT code, name, level, parent_code
FROM divisions
WHERE valid_to IS NULL
ORDER BY code
