-- Title: Rules that send returns to people
-- Question: Which verification rules send returns to manual review, and how often?
-- Parameters: none.
--
-- Over the rules' decisions to send a return to review (decided_by = 'rules' and outcome = 'review'), per
-- rule_code: the decisions, the returns they were about (a return verified again may be sent twice) and share =
-- the rule's decisions over all those decisions. Repeated rows count once: decisions by (shop, return_id,
-- decided_at, decided_by). Most decisions first.
WITH decisions_once AS (
    SELECT shop, return_id, outcome, rule_code, decided_by
    FROM (
        SELECT shop, return_id, outcome, rule_code, decided_by,
               row_number() OVER (PARTITION BY shop, return_id, decided_at, decided_by ORDER BY dt DESC) AS nth
        FROM decisions
    ) AS numbered
    WHERE nth = 1
)
SELECT rule_code,
       count(*) AS decisions,
       count(DISTINCT shop || '/' || return_id) AS returns,
       round(CAST(count(*) AS DOUBLE) / sum(count(*)) OVER (), 4) AS share
FROM decisions_once
WHERE decided_by = 'rules' AND outcome = 'review'
GROUP BY rule_code
ORDER BY decisions DESC, rule_code NULLS LAST
