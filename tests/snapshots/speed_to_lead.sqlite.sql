WITH periods AS 
(SELECT '2026-01-05' AS period, '2026-01-05 00:00:00.000000' AS p_start, '2026-01-12 00:00:00.000000' AS p_end, '2026-01-05' AS p_first, '2026-01-11' AS p_last UNION ALL SELECT '2026-01-12' AS period, '2026-01-12 00:00:00.000000' AS p_start, '2026-01-19 00:00:00.000000' AS p_end, '2026-01-12' AS p_first, '2026-01-18' AS p_last)
 SELECT m.period, CAST(m.numerator AS DOUBLE) AS value, CAST(m.numerator AS DOUBLE) AS numerator, CAST(NULL AS DOUBLE) AS denominator, m.n 
FROM (SELECT periods.period AS period, sc_percentile((((strftime('%s', (SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id)) + (strftime('%f', (SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id)) - strftime('%S', (SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id)))) - (strftime('%s', leads.mql_at) + (strftime('%f', leads.mql_at) - strftime('%S', leads.mql_at)))) / 86400.0) * 24.0, 0.5) AS numerator, count((((strftime('%s', (SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id)) + (strftime('%f', (SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id)) - strftime('%S', (SELECT min(activities.occurred_at) AS min_1 
FROM activities AS activities 
WHERE activities.lead_id = leads.id)))) - (strftime('%s', leads.mql_at) + (strftime('%f', leads.mql_at) - strftime('%S', leads.mql_at)))) / 86400.0) * 24.0) AS n 
FROM leads AS leads JOIN periods ON leads.mql_at >= periods.p_start AND leads.mql_at < periods.p_end 
WHERE leads.mql_at >= '2026-01-05 00:00:00.000000' AND leads.mql_at < '2026-01-19 00:00:00.000000' AND leads.mql_at IS NOT NULL AND leads.region IN ('EMEA') GROUP BY periods.period) AS m ORDER BY m.period;
