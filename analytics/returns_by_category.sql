-- Title: Return rate and reasons by category
-- Question: Which categories come back most for what was sold, and for which leading reason?
-- Parameters: none.
--
-- Per shop and category (as the lines name it): units_sold (the order lines' units), units_returned (the return
-- lines' units_requested, every closed return: refunds, exchanges, refund-only and cancellations), return_rate =
-- returned / sold (NULL when none was sold), the leading reason (the most units returned; a tie goes to the first
-- by name) and its share of the units returned. Repeated rows count once: an order line by (shop, order_id,
-- line_id), a return line by (shop, return_id, line_id). Highest rate first.
WITH order_lines_once AS (
    SELECT shop, category, units
    FROM (
        SELECT shop, category, units, row_number() OVER (PARTITION BY shop, order_id, line_id ORDER BY dt DESC) AS nth
        FROM order_lines
    ) AS numbered
    WHERE nth = 1
),
return_lines_once AS (
    SELECT shop, category, reason, units_requested
    FROM (
        SELECT shop, category, reason, units_requested,
               row_number() OVER (PARTITION BY shop, return_id, line_id ORDER BY dt DESC) AS nth
        FROM return_lines
    ) AS numbered
    WHERE nth = 1
),
sold AS (
    SELECT shop, category, sum(units) AS units_sold
    FROM order_lines_once
    GROUP BY shop, category
),
reasons AS (
    SELECT shop, category, reason, units,
           sum(units) OVER (PARTITION BY shop, category) AS units_returned,
           row_number() OVER (PARTITION BY shop, category ORDER BY units DESC, reason NULLS LAST) AS place
    FROM (
        SELECT shop, category, reason, sum(units_requested) AS units
        FROM return_lines_once
        GROUP BY shop, category, reason
    ) AS by_reason
),
returned AS (
    SELECT shop, category, units_returned, reason AS leading_reason, units AS leading_units
    FROM reasons
    WHERE place = 1
),
combined AS (
    SELECT coalesce(s.shop, r.shop) AS shop,
           coalesce(s.category, r.category) AS category,
           coalesce(s.units_sold, 0) AS units_sold,
           coalesce(r.units_returned, 0) AS units_returned,
           round(CAST(coalesce(r.units_returned, 0) AS DOUBLE) / nullif(s.units_sold, 0), 4) AS return_rate,
           r.leading_reason,
           round(CAST(r.leading_units AS DOUBLE) / nullif(r.units_returned, 0), 4) AS leading_reason_share
    FROM sold AS s
    FULL OUTER JOIN returned AS r ON r.shop = s.shop AND r.category = s.category
)
SELECT shop, category, units_sold, units_returned, return_rate, leading_reason, leading_reason_share
FROM combined
ORDER BY return_rate DESC NULLS LAST, units_returned DESC, shop, category
