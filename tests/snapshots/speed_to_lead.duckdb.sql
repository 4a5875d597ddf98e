WITH periods AS 
(SELECT CAST('2026-01-05' AS DATE) AS period, CAST('2026-01-05 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AS p_start, CAST('2026-01-12 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AS p_end, CAST('2026-01-05' AS DATE) AS p_first, CAST('2026-01-11' AS DATE) AS p_last UNION ALL SELECT CAST('2026-01-12' AS DATE) AS period, CAST('2026-01-12 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AS p_start, CAST('2026-01-19 00:00:00' AS TIMESTAMP WITHOUT TIME ZONE) AS p_end, CAST('2026-01-12' AS DATE) AS p_first, CAST('2026-01-18' AS DATE) AS p_last)
 SELECT m.period, CAST(m.numerator AS DOUBLE PRECISION) AS value, CAST(m.numerator AS DOUBLE PRECISION) AS numerator, CAST(NULL AS DOUBLE PRECISION) AS denominator, m.n 
FROM (SELECT periods.period AS period, percentile_cont(0.5) WITHIN GROUP (ORDER BY ((epoch(CAST((SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id) AS TIMESTAMP WITHOUT TIME ZONE)) - epoch(CAST(leads.mql_at AS TIMESTAMP WITHOUT TIME ZONE))) / 86400.0) * 24.0) AS numerator, count(((epoch(CAST((SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id) AS TIMESTAMP WITHOUT TIME ZONE)) - epoch(CAST(leads.mql_at AS TIMESTAMP WITHOUT TIME ZONE))) / 86400.0) * 24.0) AS n 
FROM leads AS leads JOIN periods ON leads.mql_at >= periods.p_start AND leads.mql_at < periods.p_end 
WHERE leads.mql_at >= '2026-01-05 00:00:00' AND leads.mql_at < '2026-01-19 00:00:00' AND leads.mql_at IS NOT NULL AND leads.region IN ('EMEA') GROUP BY periods.period) AS m ORDER BY m.period;
