WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT DATE '2026-01-05', TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-12 00:00:00', DATE '2026-01-05', DATE '2026-01-11', DATE '2026-01-12', DATE '2026-01-12'
    UNION ALL SELECT DATE '2026-01-12', TIMESTAMP '2026-01-12 00:00:00', TIMESTAMP '2026-01-19 00:00:00', DATE '2026-01-12', DATE '2026-01-18', DATE '2026-01-19', DATE '2026-01-19'
)
SELECT
  sides.period,
  CAST(COALESCE(SUM(sides.num), 0) AS DOUBLE) / NULLIF(CAST(SUM(sides.den) AS DOUBLE), 0) AS value,
  CAST(COALESCE(SUM(sides.num), 0) AS DOUBLE) AS numerator,
  CAST(SUM(sides.den) AS DOUBLE) AS denominator,
  SUM(sides.num_n) AS n,
  CAST(SUM(sides.num_sq) AS DOUBLE) AS num_sq,
  CAST(SUM(sides.den_sq) AS DOUBLE) AS den_sq
FROM (
  SELECT
    num_side.period AS period,
    num_side.numerator AS num,
    CAST(NULL AS DOUBLE) AS den,
    num_side.n AS num_n,
    0 AS den_n,
    CAST(num_side.sq AS DOUBLE) AS num_sq,
    CAST(NULL AS DOUBLE) AS den_sq
  FROM (
    SELECT
      periods.period AS period,
      SUM(opportunities.amount) AS numerator,
      COUNT(*) AS n,
      SUM(CAST(opportunities.amount AS DOUBLE) * CAST(opportunities.amount AS DOUBLE)) AS sq
    FROM opportunities AS opportunities
    LEFT OUTER JOIN reps AS owner
      ON owner.id = opportunities.owner_rep_id
    JOIN periods
      ON opportunities.closed_at >= periods.p_start
      AND opportunities.closed_at < periods.p_end
    WHERE
      opportunities.closed_at >= '2026-01-05 00:00:00'
      AND opportunities.closed_at < '2026-01-19 00:00:00'
      AND opportunities.is_won
      AND COALESCE(opportunities.region, owner.region) IN ('EMEA')
    GROUP BY
      periods.period
  ) AS num_side
  UNION ALL
  SELECT
    den_side.period AS period,
    CAST(NULL AS DOUBLE) AS num,
    den_side.numerator AS den,
    0 AS num_n,
    den_side.n AS den_n,
    CAST(NULL AS DOUBLE) AS num_sq,
    CAST(den_side.sq AS DOUBLE) AS den_sq
  FROM (
    SELECT
      periods.period AS period,
      SUM(
        (
          quotas.amount * (
            (
              (
                EPOCH(
                  CAST(CASE
                    WHEN quotas.period_end IS NULL OR periods.p_last IS NULL
                    THEN NULL
                    ELSE LEAST(quotas.period_end, periods.p_last)
                  END AS TIMESTAMP)
                ) - EPOCH(
                  CAST(CASE
                    WHEN quotas.period_start IS NULL OR periods.p_first IS NULL
                    THEN NULL
                    ELSE GREATEST(quotas.period_start, periods.p_first)
                  END AS TIMESTAMP)
                )
              ) / 86400.0
            ) + 1
          )
        ) / (
          (
            (
              EPOCH(CAST(quotas.period_end AS TIMESTAMP)) - EPOCH(CAST(quotas.period_start AS TIMESTAMP))
            ) / 86400.0
          ) + 1
        )
      ) AS numerator,
      COUNT(*) AS n,
      SUM(
        CAST((
          quotas.amount * (
            (
              (
                EPOCH(
                  CAST(CASE
                    WHEN quotas.period_end IS NULL OR periods.p_last IS NULL
                    THEN NULL
                    ELSE LEAST(quotas.period_end, periods.p_last)
                  END AS TIMESTAMP)
                ) - EPOCH(
                  CAST(CASE
                    WHEN quotas.period_start IS NULL OR periods.p_first IS NULL
                    THEN NULL
                    ELSE GREATEST(quotas.period_start, periods.p_first)
                  END AS TIMESTAMP)
                )
              ) / 86400.0
            ) + 1
          )
        ) / (
          (
            (
              EPOCH(CAST(quotas.period_end AS TIMESTAMP)) - EPOCH(CAST(quotas.period_start AS TIMESTAMP))
            ) / 86400.0
          ) + 1
        ) AS DOUBLE) * CAST((
          quotas.amount * (
            (
              (
                EPOCH(
                  CAST(CASE
                    WHEN quotas.period_end IS NULL OR periods.p_last IS NULL
                    THEN NULL
                    ELSE LEAST(quotas.period_end, periods.p_last)
                  END AS TIMESTAMP)
                ) - EPOCH(
                  CAST(CASE
                    WHEN quotas.period_start IS NULL OR periods.p_first IS NULL
                    THEN NULL
                    ELSE GREATEST(quotas.period_start, periods.p_first)
                  END AS TIMESTAMP)
                )
              ) / 86400.0
            ) + 1
          )
        ) / (
          (
            (
              EPOCH(CAST(quotas.period_end AS TIMESTAMP)) - EPOCH(CAST(quotas.period_start AS TIMESTAMP))
            ) / 86400.0
          ) + 1
        ) AS DOUBLE)
      ) AS sq
    FROM quotas AS quotas
    LEFT OUTER JOIN reps AS rep
      ON rep.id = quotas.rep_id
    JOIN periods
      ON quotas.period_start <= periods.p_last AND quotas.period_end >= periods.p_first
    WHERE
      quotas.period_start <= '2026-01-18'
      AND quotas.period_end >= '2026-01-05'
      AND rep.region IN ('EMEA')
    GROUP BY
      periods.period
  ) AS den_side
) AS sides
GROUP BY
  sides.period
ORDER BY
  sides.period;
