-- model: dim_calendar
-- kind: incremental
-- sources: staging.sync_inbound, staging.crawl_raw, staging.import_raw
-- targets: warehouse.dim_calendar
-- Generated calendar covering every date in the data, plus a margin of a
-- year on each side of what has arrived so far, without gaps. Only missing
-- dates are added.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), dates AS (
  SELECT s.received_at::date AS d FROM staging.sync_inbound s, bounds b WHERE s.txid >= b.lo AND s.txid < b.hi
  UNION ALL
  SELECT warehouse.try_timestamptz(s.raw #>> '{payload,started_at}')::date
    FROM staging.sync_inbound s, bounds b WHERE s.txid >= b.lo AND s.txid < b.hi AND s.entity = 'session'
  UNION ALL
  SELECT warehouse.try_timestamptz(s.raw #>> '{payload,captured_at}')::date
    FROM staging.sync_inbound s, bounds b WHERE s.txid >= b.lo AND s.txid < b.hi AND s.entity IN ('document', 'image')
  UNION ALL
  SELECT c.fetched_at::date FROM staging.crawl_raw c, bounds b WHERE c.txid >= b.lo AND c.txid < b.hi
  UNION ALL
  SELECT i.received_at::date FROM staging.import_raw i, bounds b WHERE i.txid >= b.lo AND i.txid < b.hi
), new_span AS (
  -- Dates far outside a plausible range (a device clock in 1970) are not worth a calendar.
  SELECT min(d) - 366 AS lo, max(d) + 366 AS hi FROM dates WHERE d BETWEEN DATE '1990-01-01' AND DATE '2200-01-01'
), span AS (
  -- Stay contiguous with what exists, so an incremental build equals a full one.
  SELECT least(n.lo, (SELECT min(calendar_date) FROM warehouse.dim_calendar)) AS lo,
         greatest(n.hi, (SELECT max(calendar_date) FROM warehouse.dim_calendar)) AS hi
  FROM new_span n WHERE n.lo IS NOT NULL
)
INSERT INTO warehouse.dim_calendar
SELECT to_char(g, 'YYYYMMDD')::int, g::date,
       extract(year FROM g), extract(quarter FROM g), extract(month FROM g), trim(to_char(g, 'Month')),
       extract(day FROM g), extract(isoyear FROM g), extract(week FROM g), extract(isodow FROM g),
       trim(to_char(g, 'Day')), date_trunc('week', g)::date, date_trunc('month', g)::date,
       extract(isodow FROM g) IN (6, 7)
FROM span, generate_series(span.lo, span.hi, interval '1 day') AS g
ON CONFLICT (date_key) DO NOTHING;
