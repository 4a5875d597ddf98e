WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT DATE '2026-01-05', TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-12 00:00:00', DATE '2026-01-05', DATE '2026-01-11', DATE '2026-01-12', DATE '2026-01-12'
    UNION ALL SELECT DATE '2026-01-12', TIMESTAMP '2026-01-12 00:00:00', TIMESTAMP '2026-01-19 00:00:00', DATE '2026-01-12', DATE '2026-01-18', DATE '2026-01-19', DATE '2026-01-19'
)
SELECT
  sides.period,
  CAST(COALESCE(SUM(sides.num), 0) AS DOUBLE PRECISION) / CAST(NULLIF(CAST(SUM(sides.den) AS DOUBLE PRECISION), 0) AS DECIMAL) AS value,
  CAST(COALESCE(SUM(sides.num), 0) AS DOUBLE PRECISION) AS numerator,
  CAST(SUM(sides.den) AS DOUBLE PRECISION) AS denominator,
  SUM(sides.den_n) AS n,
  CAST(SUM(sides.num_sq) AS DOUBLE PRECISION) AS num_sq,
  CAST(SUM(sides.den_sq) AS DOUBLE PRECISION) AS den_sq
FROM (
  SELECT
    num_side.period AS period,
    num_side.numerator AS num,
    CAST(NULL AS DOUBLE PRECISION) AS den,
    num_side.n AS num_n,
    0 AS den_n,
    CAST(num_side.sq AS DOUBLE PRECISION) AS num_sq,
    CAST(NULL AS DOUBLE PRECISION) AS den_sq
  FROM (
    SELECT
      periods.period AS period,
      COUNT(*) AS numerator,
      COUNT(*) AS n,
      COUNT(*) AS sq
    FROM opportunities AS opportunities
    LEFT OUTER JOIN accounts AS account
      ON account.id = opportunities.account_id
    LEFT OUTER JOIN reps AS owner
      ON owner.id = opportunities.owner_rep_id
    JOIN periods
      ON opportunities.created_at >= periods.p_start
      AND opportunities.created_at < periods.p_end
    WHERE
      opportunities.created_at >= '2026-01-05 00:00:00'
      AND opportunities.created_at < '2026-01-19 00:00:00'
      AND (
        EXISTS(
          SELECT
            1 AS anon_1
          FROM opportunities AS opportunities_2
          WHERE
            opportunities_2.account_id = account.id
            AND opportunities_2.channel <> opportunities.channel
            AND ABS(
              (
                EXTRACT(EPOCH FROM (
                  CAST(opportunities_2.created_at AS TIMESTAMP) - CAST(opportunities.created_at AS TIMESTAMP)
                )) / 86400.0
              )
            ) <= 90
        )
      )
      AND COALESCE(opportunities.region, owner.region) IN ('EMEA')
    GROUP BY
      periods.period
  ) AS num_side
  UNION ALL
  SELECT
    den_side.period AS period,
    CAST(NULL AS DOUBLE PRECISION) AS num,
    den_side.numerator AS den,
    0 AS num_n,
    den_side.n AS den_n,
    CAST(NULL AS DOUBLE PRECISION) AS num_sq,
    CAST(den_side.sq AS DOUBLE PRECISION) AS den_sq
  FROM (
    SELECT
      periods.period AS period,
      COUNT(*) AS numerator,
      COUNT(*) AS n,
      COUNT(*) AS sq
    FROM opportunities AS opportunities_3
    LEFT OUTER JOIN reps AS owner_2
      ON owner_2.id = opportunities_3.owner_rep_id
    JOIN periods
      ON opportunities_3.created_at >= periods.p_start
      AND opportunities_3.created_at < periods.p_end
    WHERE
      opportunities_3.created_at >= '2026-01-05 00:00:00'
      AND opportunities_3.created_at < '2026-01-19 00:00:00'
      AND COALESCE(opportunities_3.region, owner_2.region) IN ('EMEA')
    GROUP BY
      periods.period
  ) AS den_side
) AS sides
GROUP BY
  sides.period
ORDER BY
  sides.period;
