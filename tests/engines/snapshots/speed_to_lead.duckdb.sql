WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT DATE '2026-01-05', TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-12 00:00:00', DATE '2026-01-05', DATE '2026-01-11', DATE '2026-01-12', DATE '2026-01-12'
    UNION ALL SELECT DATE '2026-01-12', TIMESTAMP '2026-01-12 00:00:00', TIMESTAMP '2026-01-19 00:00:00', DATE '2026-01-12', DATE '2026-01-18', DATE '2026-01-19', DATE '2026-01-19'
)
SELECT
  m.period,
  CAST(m.numerator AS DOUBLE) AS value,
  CAST(m.numerator AS DOUBLE) AS numerator,
  CAST(NULL AS DOUBLE) AS denominator,
  m.n,
  CAST(m.sq AS DOUBLE) AS num_sq,
  CAST(NULL AS DOUBLE) AS den_sq
FROM (
  SELECT
    periods.period AS period,
    QUANTILE_CONT(
      CASE
        WHEN (
          (
            EPOCH(CAST(leads.first_touch_at AS TIMESTAMP)) - EPOCH(CAST(leads.mql_at AS TIMESTAMP))
          ) / 86400.0
        ) * 24.0 IS NULL
        OR 0 IS NULL
        THEN NULL
        ELSE GREATEST(
          (
            (
              EPOCH(CAST(leads.first_touch_at AS TIMESTAMP)) - EPOCH(CAST(leads.mql_at AS TIMESTAMP))
            ) / 86400.0
          ) * 24.0,
          0
        )
      END,
      0.5
    
    ORDER BY
      CASE
        WHEN (
          (
            EPOCH(CAST(leads.first_touch_at AS TIMESTAMP)) - EPOCH(CAST(leads.mql_at AS TIMESTAMP))
          ) / 86400.0
        ) * 24.0 IS NULL
        OR 0 IS NULL
        THEN NULL
        ELSE GREATEST(
          (
            (
              EPOCH(CAST(leads.first_touch_at AS TIMESTAMP)) - EPOCH(CAST(leads.mql_at AS TIMESTAMP))
            ) / 86400.0
          ) * 24.0,
          0
        )
      END) AS numerator,
    COUNT(
      CASE
        WHEN (
          (
            EPOCH(CAST(leads.first_touch_at AS TIMESTAMP)) - EPOCH(CAST(leads.mql_at AS TIMESTAMP))
          ) / 86400.0
        ) * 24.0 IS NULL
        OR 0 IS NULL
        THEN NULL
        ELSE GREATEST(
          (
            (
              EPOCH(CAST(leads.first_touch_at AS TIMESTAMP)) - EPOCH(CAST(leads.mql_at AS TIMESTAMP))
            ) / 86400.0
          ) * 24.0,
          0
        )
      END
    ) AS n,
    CAST(NULL AS DOUBLE) AS sq
  FROM leads AS leads
  LEFT OUTER JOIN reps AS owner
    ON owner.id = leads.owner_rep_id
  JOIN periods
    ON leads.mql_at >= periods.p_start AND leads.mql_at < periods.p_end
  WHERE
    leads.mql_at >= '2026-01-05 00:00:00'
    AND leads.mql_at < '2026-01-19 00:00:00'
    AND NOT leads.mql_at IS NULL
    AND NOT leads.first_touch_at IS NULL
    AND COALESCE(leads.region, owner.region) IN ('EMEA')
  GROUP BY
    periods.period
) AS m
ORDER BY
  m.period;
