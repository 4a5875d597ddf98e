WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT '2026-01-05', '2026-01-05 00:00:00.000000', '2026-01-12 00:00:00.000000', '2026-01-05', '2026-01-11', '2026-01-12', '2026-01-12'
    UNION ALL SELECT '2026-01-12', '2026-01-12 00:00:00.000000', '2026-01-19 00:00:00.000000', '2026-01-12', '2026-01-18', '2026-01-19', '2026-01-19'
)
SELECT
  m.period,
  CAST(CAST(m.numerator AS REAL) / (
    NULLIF(CAST(m.n AS REAL), 0) + 0.0
  ) AS REAL) AS value,
  CAST(m.numerator AS REAL) AS numerator,
  CAST(m.n AS REAL) AS denominator,
  m.n,
  CAST(m.sq AS REAL) AS num_sq,
  CAST(m.n AS REAL) AS den_sq
FROM (
  SELECT
    periods.period AS period,
    SUM(
      CASE
        WHEN (
          opportunity.is_won = 1
          AND opportunity.closed_at >= leads.created_at
          AND (
            (
              (
                STRFTIME('%s', opportunity.closed_at) + (
                  STRFTIME('%f', opportunity.closed_at) - STRFTIME('%S', opportunity.closed_at)
                )
              ) - (
                STRFTIME('%s', leads.created_at) + (
                  STRFTIME('%f', leads.created_at) - STRFTIME('%S', leads.created_at)
                )
              )
            ) / 86400.0
          ) <= 220
          AND opportunity.closed_at < '2026-01-19 00:00:00.000000'
        )
        THEN 1
        ELSE 0
      END
    ) AS numerator,
    COUNT(*) AS n,
    SUM(
      CASE
        WHEN (
          opportunity.is_won = 1
          AND opportunity.closed_at >= leads.created_at
          AND (
            (
              (
                STRFTIME('%s', opportunity.closed_at) + (
                  STRFTIME('%f', opportunity.closed_at) - STRFTIME('%S', opportunity.closed_at)
                )
              ) - (
                STRFTIME('%s', leads.created_at) + (
                  STRFTIME('%f', leads.created_at) - STRFTIME('%S', leads.created_at)
                )
              )
            ) / 86400.0
          ) <= 220
          AND opportunity.closed_at < '2026-01-19 00:00:00.000000'
        )
        THEN 1
        ELSE 0
      END
    ) AS sq
  FROM leads AS leads
  LEFT OUTER JOIN reps AS owner
    ON owner.id = leads.owner_rep_id
  LEFT OUTER JOIN opportunities AS opportunity
    ON opportunity.id = leads.opportunity_id
  JOIN periods
    ON leads.created_at >= periods.p_start AND leads.created_at < periods.p_end
  WHERE
    leads.created_at >= '2026-01-05 00:00:00.000000'
    AND leads.created_at < '2026-01-19 00:00:00.000000'
    AND NOT leads.mql_at IS NULL
    AND COALESCE(leads.region, owner.region) IN ('EMEA')
  GROUP BY
    periods.period
) AS m
ORDER BY
  m.period;
