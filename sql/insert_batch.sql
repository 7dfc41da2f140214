INSERT INTO batches (batch_id, source, description, kind, province_code, month, file_name,
    format, encoding, datum, rows_total, rows_accepted, rows_rejected, rows_flagged, checksum,
    status, created_by, created_at, finished_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
    current_timestamp, CASE WHEN $16 = 'running' THEN NULL ELSE current_timestamp END)
