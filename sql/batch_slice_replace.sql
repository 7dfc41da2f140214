-- Batches whose province×kind×month slice a new batch replaces ($4 = the new batch).
UPDATE batches SET status = 'replaced', replaced_by = $4
WHERE status = 'committed' AND province_code = $1 AND kind = $2 AND month = $3
RETURNING batch_id
