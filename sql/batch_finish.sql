UPDATE batches
SET status = $2, rows_total = $3, rows_accepted = $4, rows_rejected = $5, rows_flagged = $6,
    encoding = coalesce($7, encoding), finished_at = current_timestamp
WHERE batch_id = $1
