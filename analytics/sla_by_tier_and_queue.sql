-- Title: SLA met by customer tier and review queue
-- Question: Of the returns with an SLA deadline, what share met it, per customer tier and review queue?
-- Parameters: none.
--
-- Over the closed returns with an sla_deadline, per customer_tier and review_queue: the returns, those with sla_met
-- true (false or unknown is not met) and met_rate = met / returns. Repeated rows count once: returns by (shop,
-- return_id). By tier, then queue.
WITH returns_once AS (
    SELECT customer_tier, review_queue, sla_deadline, sla_met
    FROM (
        SELECT customer_tier, review_queue, sla_deadline, sla_met,
               row_number() OVER (PARTITION BY shop, return_id ORDER BY dt DESC) AS nth
        FROM returns
    ) AS numbered
    WHERE nth = 1
)
SELECT customer_tier, review_queue,
       count(*) AS returns,
       sum(CASE WHEN sla_met THEN 1 ELSE 0 END) AS met,
       round(CAST(sum(CASE WHEN sla_met THEN 1 ELSE 0 END) AS DOUBLE) / count(*), 4) AS met_rate
FROM returns_once
WHERE sla_deadline IS NOT NULL
GROUP BY customer_tier, review_queue
ORDER BY customer_tier NULLS LAST, review_queue NULLS LAST
