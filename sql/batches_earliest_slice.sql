-- The earliest month slice a committed batch filled (a province loading its history): the
-- data's months start there if that is before the generated window.
SELECT min(month) FROM batches WHERE status = 'committed' AND month IS NOT NULL;
