WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT DATE '2026-01-05', TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-12 00:00:00', DATE '2026-01-05', DATE '2026-01-11', DATE '2026-01-12', DATE '2026-01-12'
    UNION ALL SELECT DATE '2026-01-12', TIMESTAMP '2026-01-12 00:00:00', TIMESTAMP '2026-01-19 00:00:00', DATE '2026-01-12', DATE '2026-01-18', DATE '2026-01-19', DATE '2026-01-19'
)
SELECT
  m.period,
  CAST(CAST(m.numerator AS DOUBLE) / NULLIF(CAST(m.n AS DOUBLE), 0) AS DOUBLE) AS value,
  CAST(m.numerator AS DOUBLE) AS numerator,
  CAST(m.n AS DOUBLE) AS denominator,
  m.n,
  CAST(m.sq AS DOUBLE) AS num_sq,
  CAST(m.n AS DOUBLE) AS den_sq
FROM (
  SELECT
    periods.period AS period,
    SUM(
      CASE
        WHEN (
          opportunity.is_won
          AND opportunity.closed_at >= leads.created_at
          AND (
            (
              EPOCH(CAST(opportunity.closed_at AS TIMESTAMP)) - EPOCH(CAST(leads.created_at AS TIMESTAMP))
            ) / 86400.0
          ) <= 220
          AND opportunity.closed_at < '2026-01-19 00:00:00'
        )
        THEN 1
        ELSE 0
      END
    ) AS numerator,
    COUNT(*) AS n,
    SUM(
      CASE
        WHEN (
          opportunity.is_won
          AND opportunity.closed_at >= leads.created_at
          AND (
            (
              EPOCH(CAST(opportunity.closed_at AS TIMESTAMP)) - EPOCH(CAST(leads.created_at AS TIMESTAMP))
            ) / 86400.0
          ) <= 220
          AND opportunity.closed_at < '2026-01-19 00:00:00'
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
    leads.created_at >= '2026-01-05 00:00:00'
    AND leads.created_at < '2026-01-19 00:00:00'
    AND NOT leads.mql_at IS NULL
    AND COALESCE(leads.region, owner.region) IN ('EMEA')
  GROUP BY
    periods.period
) AS m
ORDER BY
  m.period;
