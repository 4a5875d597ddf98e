WITH periods(period, p_start, p_end, p_first, p_last, a_first, a_last) AS (
  SELECT '2026-01-05', '2026-01-05 00:00:00.000000', '2026-01-12 00:00:00.000000', '2026-01-05', '2026-01-11', '2026-01-12', '2026-01-12'
    UNION ALL SELECT '2026-01-12', '2026-01-12 00:00:00.000000', '2026-01-19 00:00:00.000000', '2026-01-12', '2026-01-18', '2026-01-19', '2026-01-19'
)
SELECT
  m.period,
  CAST(m.numerator AS REAL) AS value,
  CAST(m.numerator AS REAL) AS numerator,
  CAST(NULL AS REAL) AS denominator,
  m.n,
  CAST(m.sq AS REAL) AS num_sq,
  CAST(NULL AS REAL) AS den_sq
FROM (
  SELECT
    periods.period AS period,
    SC_PERCENTILE(
      MAX(
        (
          (
            (
              STRFTIME('%s', leads.first_touch_at) + (
                STRFTIME('%f', leads.first_touch_at) - STRFTIME('%S', leads.first_touch_at)
              )
            ) - (
              STRFTIME('%s', leads.mql_at) + (
                STRFTIME('%f', leads.mql_at) - STRFTIME('%S', leads.mql_at)
              )
            )
          ) / 86400.0
        ) * 24.0,
        0
      ),
      0.5
    ) AS numerator,
    COUNT(
      MAX(
        (
          (
            (
              STRFTIME('%s', leads.first_touch_at) + (
                STRFTIME('%f', leads.first_touch_at) - STRFTIME('%S', leads.first_touch_at)
              )
            ) - (
              STRFTIME('%s', leads.mql_at) + (
                STRFTIME('%f', leads.mql_at) - STRFTIME('%S', leads.mql_at)
              )
            )
          ) / 86400.0
        ) * 24.0,
        0
      )
    ) AS n,
    CAST(NULL AS REAL) AS sq
  FROM leads AS leads
  LEFT OUTER JOIN reps AS owner
    ON owner.id = leads.owner_rep_id
  JOIN periods
    ON leads.mql_at >= periods.p_start AND leads.mql_at < periods.p_end
  WHERE
    leads.mql_at >= '2026-01-05 00:00:00.000000'
    AND leads.mql_at < '2026-01-19 00:00:00.000000'
    AND NOT leads.mql_at IS NULL
    AND NOT leads.first_touch_at IS NULL
    AND COALESCE(leads.region, owner.region) IN ('EMEA')
  GROUP BY
    periods.period
) AS m
ORDER BY
  m.period;
