SELECT batch_id, source, description, kind, province_code, month, file_name, format, encoding,
       datum, rows_total, rows_accepted, rows_rejected, rows_flagged, checksum, status,
       replaced_by, created_by, strftime(created_at, '%Y-%m-%dT%H:%M:%S'),
       strftime(finished_at, '%Y-%m-%dT%H:%M:%S')
FROM batches
WHERE ($1::UBIGINT IS NULL OR batch_id = $1)
  AND ($2::INTEGER IS NULL OR province_code = $2)
ORDER BY batch_id DESC
LIMIT $3
