WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT '2026-01-05', '2026-01-05 00:00:00.000000', '2026-01-12 00:00:00.000000', '2026-01-05', '2026-01-11', '2026-01-12', '2026-01-12'
    UNION ALL SELECT '2026-01-12', '2026-01-12 00:00:00.000000', '2026-01-19 00:00:00.000000', '2026-01-12', '2026-01-18', '2026-01-19', '2026-01-19'
)
SELECT
  sides.period,
  CAST(COALESCE(SUM(sides.num), 0) AS REAL) / (
    NULLIF(CAST(SUM(sides.den) AS REAL), 0) + 0.0
  ) AS value,
  CAST(COALESCE(SUM(sides.num), 0) AS REAL) AS numerator,
  CAST(SUM(sides.den) AS REAL) AS denominator,
  SUM(sides.num_n) AS n,
  CAST(SUM(sides.num_sq) AS REAL) AS num_sq,
  CAST(SUM(sides.den_sq) AS REAL) AS den_sq
FROM (
  SELECT
    num_side.period AS period,
    num_side.numerator AS num,
    CAST(NULL AS REAL) AS den,
    num_side.n AS num_n,
    0 AS den_n,
    CAST(num_side.sq AS REAL) AS num_sq,
    CAST(NULL AS REAL) AS den_sq
  FROM (
    SELECT
      periods.period AS period,
      SUM(opportunities.amount) AS numerator,
      COUNT(*) AS n,
      SUM(CAST(opportunities.amount AS REAL) * CAST(opportunities.amount AS REAL)) AS sq
    FROM opportunities AS opportunities
    LEFT OUTER JOIN reps AS owner
      ON owner.id = opportunities.owner_rep_id
    JOIN periods
      ON opportunities.closed_at >= periods.p_start
      AND opportunities.closed_at < periods.p_end
    WHERE
      opportunities.closed_at >= '2026-01-05 00:00:00.000000'
      AND opportunities.closed_at < '2026-01-19 00:00:00.000000'
      AND opportunities.is_won = 1
      AND COALESCE(opportunities.region, owner.region) IN ('EMEA')
    GROUP BY
      periods.period
  ) AS num_side
  UNION ALL
  SELECT
    den_side.period AS period,
    CAST(NULL AS REAL) AS num,
    den_side.numerator AS den,
    0 AS num_n,
    den_side.n AS den_n,
    CAST(NULL AS REAL) AS num_sq,
    CAST(den_side.sq AS REAL) AS den_sq
  FROM (
    SELECT
      periods.period AS period,
      SUM(
        (
          quotas.amount * (
            (
              (
                (
                  STRFTIME('%s', MIN(quotas.period_end, periods.p_last)) + (
                    STRFTIME('%f', MIN(quotas.period_end, periods.p_last)) - STRFTIME('%S', MIN(quotas.period_end, periods.p_last))
                  )
                ) - (
                  STRFTIME('%s', MAX(quotas.period_start, periods.p_first)) + (
                    STRFTIME('%f', MAX(quotas.period_start, periods.p_first)) - STRFTIME('%S', MAX(quotas.period_start, periods.p_first))
                  )
                )
              ) / 86400.0
            ) + 1
          )
        ) / (
          (
            (
              (
                (
                  STRFTIME('%s', quotas.period_end) + (
                    STRFTIME('%f', quotas.period_end) - STRFTIME('%S', quotas.period_end)
                  )
                ) - (
                  STRFTIME('%s', quotas.period_start) + (
                    STRFTIME('%f', quotas.period_start) - STRFTIME('%S', quotas.period_start)
                  )
                )
              ) / 86400.0
            ) + 1
          ) + 0.0
        )
      ) AS numerator,
      COUNT(*) AS n,
      SUM(
        CAST((
          quotas.amount * (
            (
              (
                (
                  STRFTIME('%s', MIN(quotas.period_end, periods.p_last)) + (
                    STRFTIME('%f', MIN(quotas.period_end, periods.p_last)) - STRFTIME('%S', MIN(quotas.period_end, periods.p_last))
                  )
                ) - (
                  STRFTIME('%s', MAX(quotas.period_start, periods.p_first)) + (
                    STRFTIME('%f', MAX(quotas.period_start, periods.p_first)) - STRFTIME('%S', MAX(quotas.period_start, periods.p_first))
                  )
                )
              ) / 86400.0
            ) + 1
          )
        ) / (
          (
            (
              (
                (
                  STRFTIME('%s', quotas.period_end) + (
                    STRFTIME('%f', quotas.period_end) - STRFTIME('%S', quotas.period_end)
                  )
                ) - (
                  STRFTIME('%s', quotas.period_start) + (
                    STRFTIME('%f', quotas.period_start) - STRFTIME('%S', quotas.period_start)
                  )
                )
              ) / 86400.0
            ) + 1
          ) + 0.0
        ) AS REAL) * CAST((
          quotas.amount * (
            (
              (
                (
                  STRFTIME('%s', MIN(quotas.period_end, periods.p_last)) + (
                    STRFTIME('%f', MIN(quotas.period_end, periods.p_last)) - STRFTIME('%S', MIN(quotas.period_end, periods.p_last))
                  )
                ) - (
                  STRFTIME('%s', MAX(quotas.period_start, periods.p_first)) + (
                    STRFTIME('%f', MAX(quotas.period_start, periods.p_first)) - STRFTIME('%S', MAX(quotas.period_start, periods.p_first))
                  )
                )
              ) / 86400.0
            ) + 1
          )
        ) / (
          (
            (
              (
                (
                  STRFTIME('%s', quotas.period_end) + (
                    STRFTIME('%f', quotas.period_end) - STRFTIME('%S', quotas.period_end)
                  )
                ) - (
                  STRFTIME('%s', quotas.period_start) + (
                    STRFTIME('%f', quotas.period_start) - STRFTIME('%S', quotas.period_start)
                  )
                )
              ) / 86400.0
            ) + 1
          ) + 0.0
        ) AS REAL)
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
