-- Title: Cycle time per stage
-- Question: How many hours does each stage of a return take, at the median and the 90th percentile?
-- Parameters: none.
--
-- One row per stage, in the order a return goes through them: requested->decided, decided->parcel_shipped,
-- parcel_shipped->delivered, delivered->inspected, inspected->refunded and requested->closed (the whole). Each is
-- over the closed returns that have both times (`returns`, 0 when none: its hours are then NULL). p50_hours and
-- p90_hours are exact nearest-rank percentiles: the duration at rank ceil(p * n) of the n sorted ascending.
-- Repeated rows count once: returns by (shop, return_id).
WITH returns_once AS (
    SELECT requested_at, decided_at, parcel_shipped_at, delivered_at, inspected_at, refunded_at, closed_at
    FROM (
        SELECT requested_at, decided_at, parcel_shipped_at, delivered_at, inspected_at, refunded_at, closed_at,
               row_number() OVER (PARTITION BY shop, return_id ORDER BY dt DESC) AS nth
        FROM returns
    ) AS numbered
    WHERE nth = 1
),
stages AS (
    SELECT stage_order, stage
    FROM (
        VALUES (1, 'requested->decided'), (2, 'decided->parcel_shipped'), (3, 'parcel_shipped->delivered'),
               (4, 'delivered->inspected'), (5, 'inspected->refunded'), (6, 'requested->closed')
    ) AS stage_list (stage_order, stage)
),
durations AS (
    SELECT 'requested->decided' AS stage, decided_at - requested_at AS seconds
    FROM returns_once WHERE requested_at IS NOT NULL AND decided_at IS NOT NULL
    UNION ALL
    SELECT 'decided->parcel_shipped', parcel_shipped_at - decided_at
    FROM returns_once WHERE decided_at IS NOT NULL AND parcel_shipped_at IS NOT NULL
    UNION ALL
    SELECT 'parcel_shipped->delivered', delivered_at - parcel_shipped_at
    FROM returns_once WHERE parcel_shipped_at IS NOT NULL AND delivered_at IS NOT NULL
    UNION ALL
    SELECT 'delivered->inspected', inspected_at - delivered_at
    FROM returns_once WHERE delivered_at IS NOT NULL AND inspected_at IS NOT NULL
    UNION ALL
    SELECT 'inspected->refunded', refunded_at - inspected_at
    FROM returns_once WHERE inspected_at IS NOT NULL AND refunded_at IS NOT NULL
    UNION ALL
    SELECT 'requested->closed', closed_at - requested_at
    FROM returns_once WHERE requested_at IS NOT NULL AND closed_at IS NOT NULL
),
ranked AS (
    SELECT stage, seconds,
           row_number() OVER (PARTITION BY stage ORDER BY seconds) AS place,
           count(*) OVER (PARTITION BY stage) AS n
    FROM durations
),
percentiles AS (
    SELECT stage, max(n) AS n,
           min(CASE WHEN place >= ceil(0.5 * n) THEN seconds END) AS p50_seconds,
           min(CASE WHEN place >= ceil(0.9 * n) THEN seconds END) AS p90_seconds
    FROM ranked
    GROUP BY stage
)
SELECT s.stage,
       coalesce(p.n, 0) AS returns,
       round(CAST(p.p50_seconds AS DOUBLE) / 3600, 2) AS p50_hours,
       round(CAST(p.p90_seconds AS DOUBLE) / 3600, 2) AS p90_hours
FROM stages AS s
LEFT JOIN percentiles AS p ON p.stage = s.stage
ORDER BY s.stage_order
