WITH periods AS 
(SELECT '2026-01-05' AS period, '2026-01-05 00:00:00.000000' AS p_start, '2026-01-12 00:00:00.000000' AS p_end, '2026-01-05' AS p_first, '2026-01-11' AS p_last UNION ALL SELECT '2026-01-12' AS period, '2026-01-12 00:00:00.000000' AS p_start, '2026-01-19 00:00:00.000000' AS p_end, '2026-01-12' AS p_first, '2026-01-18' AS p_last)
 SELECT sides.period, CAST(coalesce(sum(sides.num), 0) AS DOUBLE) / (nullif(CAST(sum(sides.den) AS DOUBLE), 0) + 0.0) AS value, CAST(coalesce(sum(sides.num), 0) AS DOUBLE) AS numerator, CAST(sum(sides.den) AS DOUBLE) AS denominator, sum(sides.den_n) AS n 
FROM (SELECT num_side.period AS period, num_side.numerator AS num, CAST(NULL AS DOUBLE) AS den, num_side.n AS num_n, 0 AS den_n 
FROM (SELECT periods.period AS period, count(*) AS numerator, count(*) AS n 
FROM opportunities AS opportunities LEFT OUTER JOIN accounts AS account ON account.id = opportunities.account_id JOIN periods ON opportunities.created_at >= periods.p_start AND opportunities.created_at < periods.p_end 
WHERE opportunities.created_at >= '2026-01-05 00:00:00.000000' AND opportunities.created_at < '2026-01-19 00:00:00.000000' AND (EXISTS (SELECT 1 AS anon_1 
FROM opportunities AS opportunities_2 
WHERE opportunities_2.account_id = account.id AND opportunities_2.channel != opportunities.channel AND abs((((strftime('%s', opportunities_2.created_at) + (strftime('%f', opportunities_2.created_at) - strftime('%S', opportunities_2.created_at))) - (strftime('%s', opportunities.created_at) + (strftime('%f', opportunities.created_at) - strftime('%S', opportunities.created_at)))) / 86400.0)) <= 90)) AND opportunities.region IN ('EMEA') GROUP BY periods.period) AS num_side UNION ALL SELECT den_side.period AS period, CAST(NULL AS DOUBLE) AS num, den_side.numerator AS den, 0 AS num_n, den_side.n AS den_n 
FROM (SELECT periods.period AS period, count(*) AS numerator, count(*) AS n 
FROM opportunities AS opportunities_3 JOIN periods ON opportunities_3.created_at >= periods.p_start AND opportunities_3.created_at < periods.p_end 
WHERE opportunities_3.created_at >= '2026-01-05 00:00:00.000000' AND opportunities_3.created_at < '2026-01-19 00:00:00.000000' AND opportunities_3.region IN ('EMEA') GROUP BY periods.period) AS den_side) AS sides GROUP BY sides.period ORDER BY sides.period;
