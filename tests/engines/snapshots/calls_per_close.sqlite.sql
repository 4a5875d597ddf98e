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
  SUM(sides.den_n) AS n,
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
      COUNT(*) AS numerator,
      COUNT(*) AS n,
      COUNT(*) AS sq
    FROM activities AS activities
    LEFT OUTER JOIN opportunities AS opportunity
      ON opportunity.id = activities.opportunity_id
    LEFT OUTER JOIN leads AS lead
      ON lead.id = activities.lead_id
    LEFT OUTER JOIN opportunities AS lead_opportunity
      ON lead_opportunity.id = lead.opportunity_id
    LEFT OUTER JOIN reps AS rep
      ON rep.id = activities.rep_id
    JOIN periods
      ON COALESCE(opportunity.closed_at, lead_opportunity.closed_at) >= periods.p_start
      AND COALESCE(opportunity.closed_at, lead_opportunity.closed_at) < periods.p_end
    WHERE
      COALESCE(opportunity.closed_at, lead_opportunity.closed_at) >= '2026-01-05 00:00:00.000000'
      AND COALESCE(opportunity.closed_at, lead_opportunity.closed_at) < '2026-01-19 00:00:00.000000'
      AND activities.type = 'call'
      AND COALESCE(opportunity.is_won, lead_opportunity.is_won) = 1
      AND rep.region IN ('EMEA')
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
      COUNT(*) AS numerator,
      COUNT(*) AS n,
      COUNT(*) AS sq
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
  ) AS den_side
) AS sides
GROUP BY
  sides.period
ORDER BY
  sides.period;
