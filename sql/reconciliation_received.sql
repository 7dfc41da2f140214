-- What the database holds per declaring province and kind for one month (部省对账): rows,
-- distinct identities, the order-independent identity checksum, and rows whose identity
-- also appears under another province in the same kind and month.
--   $1 kind or NULL (all), $2 as-of (the month's last day), $3 first day,
--   $4 first day of the next month.
-- Records count as in the statistics (in force on the last day; events dated in the month).
-- The declaring province is the first two digits of the declared code. The identity is the
-- person hash (HMAC-SHA256, hex) or, for organizations and facilities, SHA-256 of the credit
-- code; the checksum is the sum of each row's first 64 identity bits modulo 2^64, as 16 hex
-- digits, so the order of rows does not matter and slices add up.
WITH records AS (
    SELECT kind, declared_code, valid_from, valid_to,
           coalesce(person_hash, sha256(credit_code)) AS identity
    FROM service_objects
    UNION ALL
    SELECT kind, declared_code, valid_from, valid_to, sha256(credit_code) FROM facilities
),
month_records AS (
    SELECT r.kind, r.declared_code // 10000 * 10000 AS province_code, r.identity
    FROM records r
    JOIN kinds k ON k.kind = r.kind
    WHERE ($1::VARCHAR IS NULL OR r.kind = $1)
      AND CASE
            WHEN k.is_event THEN r.valid_from >= $3::DATE AND r.valid_from < $4::DATE
            ELSE r.valid_from <= $2::DATE AND (r.valid_to IS NULL OR r.valid_to > $2::DATE)
          END
),
spread AS (
    SELECT kind, identity, count(DISTINCT province_code) AS provinces
    FROM month_records
    WHERE identity IS NOT NULL
    GROUP BY kind, identity
)
SELECT m.province_code,
       m.kind,
       count(*) AS received,
       count(DISTINCT m.identity) AS identities,
       printf('%016x', (sum(('0x' || left(m.identity, 16))::UBIGINT::HUGEINT)
                        % 18446744073709551616::HUGEINT)::UBIGINT) AS checksum,
       count(*) FILTER (WHERE s.provinces > 1) AS in_other_provinces
FROM month_records m
LEFT JOIN spread s ON s.kind = m.kind AND s.identity = m.identity
GROUP BY m.province_code, m.kind
ORDER BY m.province_code, m.kind
