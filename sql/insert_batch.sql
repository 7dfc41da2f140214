INSERT INTO batches VALUES ($1, $2, $3, $4, $5, $6, $7, current_timestamp)
