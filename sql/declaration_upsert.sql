-- A province's declaration for a kind and month; a later one replaces it.
--   $1 province, $2 kind, $3 month, $4 declared rows, $5 checksum or NULL, $6 who.
INSERT OR REPLACE INTO declarations
VALUES ($1, $2, $3, $4, $5, $6, current_timestamp::TIMESTAMP)
