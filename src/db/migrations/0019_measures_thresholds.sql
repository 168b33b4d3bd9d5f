-- The alert thresholds mart_analytics.measures_daily was built with. The
-- model compares them with the current `alerts.thresholds` parameter on every
-- run and rebuilds the days of any measure whose thresholds changed, so a
-- change reaches the reports by the next ETL run (at most the 5-minute safety
-- net) with no manual full refresh.
CREATE TABLE mart_analytics.measures_thresholds (
  measure  text PRIMARY KEY,
  low      numeric,
  high     numeric
);
