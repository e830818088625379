-- Title: Zero-touch rate by platform and shop
-- Question: What share of each shop's returns closed with no person involved?
-- Parameters: none.
--
-- Per platform and shop: the closed returns, those with zero_touch true, and zero_touch_rate = the second over the
-- first. The rules that sent the others to people are the report review_rules. Repeated rows count once: returns
-- by (shop, return_id). By platform, then shop.
WITH returns_once AS (
    SELECT platform, shop, zero_touch
    FROM (
        SELECT platform, shop, zero_touch, row_number() OVER (PARTITION BY shop, return_id ORDER BY dt DESC) AS nth
        FROM returns
    ) AS numbered
    WHERE nth = 1
)
SELECT platform, shop,
       count(*) AS returns,
       sum(CASE WHEN zero_touch THEN 1 ELSE 0 END) AS zero_touch_returns,
       round(CAST(sum(CASE WHEN zero_touch THEN 1 ELSE 0 END) AS DOUBLE) / count(*), 4) AS zero_touch_rate
FROM returns_once
GROUP BY platform, shop
ORDER BY platform NULLS LAST, shop
