-- Title: Exceptions and damage by carrier and route
-- Question: On which carriers and routes do return parcels run into trouble or arrive short or damaged?
-- Parameters: none.
--
-- A parcel is (shop, carrier, tracking_number) as its checkpoints name it. Its route is origin_region ->
-- destination_region of its earliest checkpoint naming both ('unknown' when none does). An exception parcel had a
-- checkpoint with status exception, attempt_fail, expired or returned_to_sender. A damaged parcel carried a return
-- that was inspected (returns.inspected_at set) and came back short or damaged: on one of its lines the warehouse
-- accepted fewer units than requested or deducted money (deductions_minor > 0). Rates are over the parcels.
-- Repeated rows count once: checkpoints by all their columns, returns by (shop, return_id), return lines by
-- (shop, return_id, line_id). By carrier, then route.
WITH checkpoints_once AS (
    SELECT DISTINCT return_id, shop, carrier, tracking_number, status, occurred_at, origin_region,
                    destination_region, location, dt
    FROM checkpoints
),
parcels AS (
    SELECT shop, carrier, tracking_number, max(return_id) AS return_id,
           max(CASE WHEN status IN ('exception', 'attempt_fail', 'expired', 'returned_to_sender') THEN 1 ELSE 0 END)
               AS had_exception
    FROM checkpoints_once
    GROUP BY shop, carrier, tracking_number
),
routes AS (
    SELECT shop, carrier, tracking_number, origin_region || ' -> ' || destination_region AS route,
           row_number() OVER (
               PARTITION BY shop, carrier, tracking_number ORDER BY occurred_at, origin_region, destination_region
           ) AS nth
    FROM checkpoints_once
    WHERE origin_region IS NOT NULL AND destination_region IS NOT NULL
),
inspected_returns AS (
    SELECT shop, return_id
    FROM (
        SELECT shop, return_id, inspected_at,
               row_number() OVER (PARTITION BY shop, return_id ORDER BY dt DESC) AS nth
        FROM returns
    ) AS numbered
    WHERE nth = 1 AND inspected_at IS NOT NULL
),
short_lines AS (
    SELECT shop, return_id
    FROM (
        SELECT shop, return_id, units_requested, units_accepted, deductions_minor,
               row_number() OVER (PARTITION BY shop, return_id, line_id ORDER BY dt DESC) AS nth
        FROM return_lines
    ) AS numbered
    WHERE nth = 1 AND (units_accepted < units_requested OR deductions_minor > 0)
),
damaged_returns AS (
    SELECT DISTINCT i.shop, i.return_id
    FROM inspected_returns AS i
    JOIN short_lines AS l ON l.shop = i.shop AND l.return_id = i.return_id
),
judged AS (
    SELECT p.carrier, coalesce(r.route, 'unknown') AS route, p.had_exception,
           CASE WHEN d.return_id IS NULL THEN 0 ELSE 1 END AS damaged
    FROM parcels AS p
    LEFT JOIN routes AS r
        ON r.shop = p.shop AND r.carrier = p.carrier AND r.tracking_number = p.tracking_number AND r.nth = 1
    LEFT JOIN damaged_returns AS d ON d.shop = p.shop AND d.return_id = p.return_id
)
SELECT carrier, route,
       count(*) AS parcels,
       sum(had_exception) AS exception_parcels,
       round(CAST(sum(had_exception) AS DOUBLE) / count(*), 4) AS exception_rate,
       sum(damaged) AS damaged_parcels,
       round(CAST(sum(damaged) AS DOUBLE) / count(*), 4) AS damage_rate
FROM judged
GROUP BY carrier, route
ORDER BY carrier NULLS LAST, route
