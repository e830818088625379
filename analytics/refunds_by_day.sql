-- Title: Refunds by platform, currency and day
-- Question: How many refunds were paid each day, and how much, per platform and currency?
-- Parameters: none.
--
-- Per paid_day (dt: the UTC day of the payment), platform and currency: the refunds and amount_minor, their sum in
-- the currency's minor units (amounts of different currencies are never added). Repeated rows count once: refunds
-- by (shop, refund_id). By day, then platform, then currency.
WITH refunds_once AS (
    SELECT platform, currency, amount_minor, dt
    FROM (
        SELECT platform, currency, amount_minor, dt,
               row_number() OVER (PARTITION BY shop, refund_id ORDER BY dt DESC) AS nth
        FROM refunds
    ) AS numbered
    WHERE nth = 1
)
SELECT dt AS paid_day, platform, currency,
       count(*) AS refunds,
       sum(amount_minor) AS amount_minor
FROM refunds_once
GROUP BY dt, platform, currency
ORDER BY paid_day, platform NULLS LAST, currency NULLS LAST
