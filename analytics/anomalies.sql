-- Title: SKU and route anomalies
-- Question: Which SKUs and routes had a week well above their own return or exception rate of the 28 days before?
-- Parameters, in the order of the ? marks: as_of, as_of, min_count, threshold.
--   as_of      'YYYY-MM-DD', the last day of the recent week (compared with dt); the runners default it to the
--              latest dt in the lake
--   min_count  the fewest returned units (a SKU) or exception parcels (a route) in the recent week, so that one
--              return is not an anomaly (default 5)
--   threshold  how many times its baseline rate the recent rate must reach (default 2.0)
--
-- The recent week is the 7 days up to as_of (dt from as_of - 6 to as_of); the baseline the 28 days before it.
-- A SKU (kind 'sku', scope its shop, item the sku): rate = units returned (return lines' units_requested, by the
-- return's close day) over units sold (order lines' units, by the order's day) in the window. A route (kind
-- 'route', scope the carrier, item origin_region -> destination_region as in carrier_routes): rate = exception
-- parcels over parcels with a checkpoint in the window; a parcel is an exception parcel there when one of its
-- checkpoints in the window had status exception, attempt_fail, expired or returned_to_sender. Listed: recent
-- events >= min_count and recent rate >= threshold * baseline rate; an item with nothing sold (no parcel) in
-- either window has no rate there and is not listed, one with a baseline rate of 0 is (its ratio is then NULL).
-- Repeated rows count once: order lines by (shop, order_id, line_id), return lines by (shop, return_id, line_id),
-- checkpoints by all their columns. By kind, then highest recent rate.
WITH order_lines_once AS (
    SELECT shop, sku, units, dt
    FROM (
        SELECT shop, sku, units, dt, row_number() OVER (PARTITION BY shop, order_id, line_id ORDER BY dt DESC) AS nth
        FROM order_lines
    ) AS numbered
    WHERE nth = 1
),
return_lines_once AS (
    SELECT shop, sku, units_requested, dt
    FROM (
        SELECT shop, sku, units_requested, dt,
               row_number() OVER (PARTITION BY shop, return_id, line_id ORDER BY dt DESC) AS nth
        FROM return_lines
    ) AS numbered
    WHERE nth = 1
),
checkpoints_once AS (
    SELECT DISTINCT return_id, shop, carrier, tracking_number, status, occurred_at, origin_region,
                    destination_region, location, dt
    FROM checkpoints
),
routes AS (
    SELECT shop, carrier, tracking_number, origin_region || ' -> ' || destination_region AS route,
           row_number() OVER (
               PARTITION BY shop, carrier, tracking_number ORDER BY occurred_at, origin_region, destination_region
           ) AS nth
    FROM checkpoints_once
    WHERE origin_region IS NOT NULL AND destination_region IS NOT NULL
),
facts AS (
    SELECT 'sku' AS kind, shop AS scope, sku AS item, CAST(NULL AS VARCHAR) AS parcel, dt,
           units_requested AS events, 0 AS base
    FROM return_lines_once
    UNION ALL
    SELECT 'sku', shop, sku, CAST(NULL AS VARCHAR), dt, 0, units
    FROM order_lines_once
    UNION ALL
    SELECT 'route', c.carrier, coalesce(r.route, 'unknown'), c.shop || '/' || c.tracking_number, c.dt,
           CASE WHEN c.status IN ('exception', 'attempt_fail', 'expired', 'returned_to_sender') THEN 1 ELSE 0 END, 1
    FROM checkpoints_once AS c
    LEFT JOIN routes AS r
        ON r.shop = c.shop AND r.carrier = c.carrier AND r.tracking_number = c.tracking_number AND r.nth = 1
),
windowed AS (
    SELECT 'recent' AS period, kind, scope, item, parcel, events, base
    FROM facts
    WHERE date_diff('day', CAST(dt AS DATE), CAST(? AS DATE)) BETWEEN 0 AND 6
    UNION ALL
    SELECT 'baseline', kind, scope, item, parcel, events, base
    FROM facts
    WHERE date_diff('day', CAST(dt AS DATE), CAST(? AS DATE)) BETWEEN 7 AND 34
),
per_period AS (
    -- SKU facts add up; a parcel counts once per window, with its checkpoints' facts.
    SELECT period, kind, scope, item,
           CASE WHEN kind = 'sku' THEN sum(events) ELSE count(DISTINCT CASE WHEN events > 0 THEN parcel END) END
               AS events,
           CASE WHEN kind = 'sku' THEN sum(base) ELSE count(DISTINCT parcel) END AS base
    FROM windowed
    GROUP BY period, kind, scope, item
),
compared AS (
    SELECT kind, scope, item,
           sum(CASE WHEN period = 'recent' THEN events ELSE 0 END) AS recent_events,
           sum(CASE WHEN period = 'recent' THEN base ELSE 0 END) AS recent_base,
           sum(CASE WHEN period = 'baseline' THEN events ELSE 0 END) AS baseline_events,
           sum(CASE WHEN period = 'baseline' THEN base ELSE 0 END) AS baseline_base
    FROM per_period
    GROUP BY kind, scope, item
),
rated AS (
    SELECT kind, scope, item, recent_events, recent_base, baseline_events, baseline_base,
           CAST(recent_events AS DOUBLE) / nullif(recent_base, 0) AS recent_exact,
           CAST(baseline_events AS DOUBLE) / nullif(baseline_base, 0) AS baseline_exact
    FROM compared
)
SELECT kind, scope, item, recent_events, recent_base, round(recent_exact, 4) AS recent_rate,
       baseline_events, baseline_base, round(baseline_exact, 4) AS baseline_rate,
       round(recent_exact / nullif(baseline_exact, 0), 2) AS ratio
FROM rated
WHERE recent_events >= CAST(? AS BIGINT) AND recent_exact >= CAST(? AS DOUBLE) * baseline_exact
ORDER BY kind, recent_exact DESC, scope, item
