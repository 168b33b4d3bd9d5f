-- model: dim_calendar
-- kind: incremental
-- sources: staging.sync_inbound, staging.crawl_raw, staging.import_raw
-- targets: warehouse.dim_calendar
-- Generated calendar covering every date in the data, plus a margin of a
-- year on each side of what has arrived so far, without gaps. Only missing
-- dates are added.

WITH bounds AS (
  SELECT current_setting('nexus.etl_from')::xid8 AS lo, current_setting('nexus.etl_to')::xid8 AS hi
), dated AS (
  -- Each row's arrival date and, for devices, the date it speaks of;
  -- dates outside a plausible range (a device clock in 1970) are ignored.
  SELECT s.received_at::date AS d1,
         CASE s.entity WHEN 'session' THEN warehouse.try_timestamptz(s.raw #>> '{payload,started_at}')::date
                       WHEN 'document' THEN warehouse.try_timestamptz(s.raw #>> '{payload,captured_at}')::date
                       WHEN 'image' THEN warehouse.try_timestamptz(s.raw #>> '{payload,captured_at}')::date END AS d2
  FROM staging.sync_inbound s, bounds b WHERE s.txid >= b.lo AND s.txid < b.hi
  UNION ALL
  SELECT c.fetched_at::date, NULL FROM staging.crawl_raw c, bounds b WHERE c.txid >= b.lo AND c.txid < b.hi
  UNION ALL
  SELECT i.received_at::date, NULL FROM staging.import_raw i, bounds b WHERE i.txid >= b.lo AND i.txid < b.hi
), plausible AS (
  SELECT CASE WHEN d1 BETWEEN DATE '1990-01-01' AND DATE '2200-01-01' THEN d1 END AS d1,
         CASE WHEN d2 BETWEEN DATE '1990-01-01' AND DATE '2200-01-01' THEN d2 END AS d2
  FROM dated
), wanted AS (
  SELECT min(least(d1, d2)) - 366 AS lo, max(greatest(d1, d2)) + 366 AS hi FROM plausible
), have AS (
  SELECT min(calendar_date) AS lo, max(calendar_date) AS hi FROM warehouse.dim_calendar
), missing AS (
  -- Only the dates beyond what exists, keeping the calendar contiguous, so an
  -- incremental build equals a full one and a run costs nothing when in range.
  SELECT g::date AS d FROM wanted w, have h,
    generate_series(w.lo, coalesce(least(h.lo - 1, w.hi), w.hi), interval '1 day') AS g
  WHERE w.lo IS NOT NULL AND (h.lo IS NULL OR w.lo < h.lo)
  UNION ALL
  SELECT g::date FROM wanted w, have h,
    generate_series(h.hi + 1, greatest(w.hi, h.hi), interval '1 day') AS g
  WHERE w.lo IS NOT NULL AND h.hi IS NOT NULL
  UNION ALL
  -- a gap between the new dates and the existing range
  SELECT g::date FROM wanted w, have h, generate_series(w.hi + 1, h.lo - 1, interval '1 day') AS g
  WHERE w.hi IS NOT NULL AND h.lo IS NOT NULL AND w.hi < h.lo - 1
)
INSERT INTO warehouse.dim_calendar
SELECT to_char(d, 'YYYYMMDD')::int, d,
       extract(year FROM d), extract(quarter FROM d), extract(month FROM d), trim(to_char(d, 'Month')),
       extract(day FROM d), extract(isoyear FROM d), extract(week FROM d), extract(isodow FROM d),
       trim(to_char(d, 'Day')), date_trunc('week', d)::date, date_trunc('month', d)::date,
       extract(isodow FROM d) IN (6, 7)
FROM missing
ON CONFLICT (date_key) DO NOTHING;
