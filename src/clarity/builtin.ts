// The two dashboards Clarity ships with, ready on first start. Every chart's
// SQL takes the global filters as parameters — $date_from, $date_to (DATE),
// $device (a device id), $group_name — NULL meaning "all"; `filters` says
// which of them a chart honours (live status panels honour none).

import type { Dashboard } from './dashboards.ts';

// A group is the set of devices now in it (mart_ops.device_status): one
// meaning for every chart, and a semi-join on 200 devices is far cheaper
// than testing each session's group list.
const DEVICE_IN_GROUP = `($group_name IS NULL OR device_id IN (SELECT device_id FROM mart_ops.device_status WHERE list_contains(groups, $group_name)))`;
const SESSION_FILTER = `($date_from IS NULL OR s.session_date >= $date_from) AND ($date_to IS NULL OR s.session_date <= $date_to)
  AND ($device IS NULL OR s.device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP.replace('device_id IN', 's.device_id IN')}`;
const ALL = ['date', 'device', 'group'] as const;

export const FIELD_ACTIVITY: Dashboard = {
  id: 'field-activity',
  title: 'Field activity',
  description: 'Patients, sessions, documents and measurements over time (mart_analytics).',
  builtin: true,
  charts: [
    { id: 'sessions-total', title: 'Sessions', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT count(*) AS sessions FROM mart_analytics.sessions s WHERE ${SESSION_FILTER}` },
    { id: 'patients-active', title: 'Patients seen', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT count(DISTINCT patient_id) AS patients FROM mart_analytics.sessions s WHERE ${SESSION_FILTER}` },
    { id: 'visit-hours', title: 'Visit hours', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT round(coalesce(sum(duration_minutes), 0) / 60, 1) AS hours FROM mart_analytics.sessions s WHERE ${SESSION_FILTER}` },
    { id: 'documents-total', title: 'Documents and images', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT coalesce(sum(event_count), 0) AS files FROM mart_analytics.events_daily WHERE event_type IN ('document', 'image')
        AND ($date_from IS NULL OR event_date >= $date_from) AND ($date_to IS NULL OR event_date <= $date_to)
        AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}` },
    { id: 'sessions-per-day', title: 'Sessions per day', type: 'line', w: 8, x: 'day', y: ['sessions'], filters: [...ALL],
      sql: `SELECT s.session_date AS day, count(*) AS sessions FROM mart_analytics.sessions s WHERE ${SESSION_FILTER} GROUP BY 1 ORDER BY 1`,
      drill: `SELECT s.session_id, s.session_date, s.started_at, s.session_type, s.session_status, s.clinician, s.device_id, s.patient_id
        FROM mart_analytics.sessions s WHERE ${SESSION_FILTER} AND s.session_date = CAST($x AS DATE) ORDER BY s.started_at LIMIT 1000` },
    { id: 'sessions-by-status', title: 'Sessions by status', type: 'pie', w: 4, x: 'status', y: ['sessions'], filters: [...ALL],
      sql: `SELECT coalesce(s.session_status, '(none)') AS status, count(*) AS sessions FROM mart_analytics.sessions s WHERE ${SESSION_FILTER} GROUP BY 1 ORDER BY 2 DESC`,
      drill: `SELECT s.session_id, s.session_date, s.session_type, s.session_status, s.device_id, s.patient_id FROM mart_analytics.sessions s
        WHERE ${SESSION_FILTER} AND coalesce(s.session_status, '(none)') = $x ORDER BY s.session_date LIMIT 1000` },
    { id: 'sessions-by-type-week', title: 'Sessions per week by type', type: 'bar', w: 6, x: 'week', y: ['sessions'], series: 'type', filters: [...ALL],
      sql: `SELECT date_trunc('week', s.session_date)::DATE AS week, coalesce(s.session_type, '(none)') AS type, count(*) AS sessions
        FROM mart_analytics.sessions s WHERE ${SESSION_FILTER} GROUP BY 1, 2 ORDER BY 1, 2`,
      drill: `SELECT s.session_id, s.session_date, s.session_type, s.session_status, s.device_id, s.patient_id FROM mart_analytics.sessions s
        WHERE ${SESSION_FILTER} AND date_trunc('week', s.session_date)::DATE = CAST($x AS DATE) AND ($series IS NULL OR coalesce(s.session_type, '(none)') = $series)
        ORDER BY s.session_date LIMIT 1000` },
    { id: 'files-per-week', title: 'Documents and images per week', type: 'area', w: 6, x: 'week', y: ['documents', 'images'], filters: [...ALL],
      sql: `SELECT date_trunc('week', event_date)::DATE AS week, sum(event_count) FILTER (WHERE event_type = 'document') AS documents,
          sum(event_count) FILTER (WHERE event_type = 'image') AS images
        FROM mart_analytics.events_daily WHERE event_type IN ('document', 'image')
          AND ($date_from IS NULL OR event_date >= $date_from) AND ($date_to IS NULL OR event_date <= $date_to)
          AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}
        GROUP BY 1 ORDER BY 1` },
    { id: 'measures-outside', title: 'Share of readings outside alert thresholds (%)', type: 'bar', w: 6, x: 'measure', y: ['outside_pct'], filters: [...ALL],
      sql: `SELECT measure, round(100.0 * sum(outside_count) / sum(reading_count), 1) AS outside_pct
        FROM mart_analytics.measures_daily WHERE low_threshold IS NOT NULL
          AND ($date_from IS NULL OR session_date >= $date_from) AND ($date_to IS NULL OR session_date <= $date_to)
          AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}
        GROUP BY 1 ORDER BY 1` },
    { id: 'sessions-device-type', title: 'Sessions by device and type', type: 'pivot', w: 6, x: 'device', y: ['sessions'], series: 'type', filters: [...ALL],
      sql: `WITH counts AS (SELECT s.device_id, coalesce(s.session_type, '(none)') AS type, count(*) AS sessions
          FROM mart_analytics.sessions s WHERE ${SESSION_FILTER} GROUP BY 1, 2)
        SELECT coalesce(d.device_name, right(c.device_id::VARCHAR, 12)) AS device, c.type, c.sessions
        FROM counts c LEFT JOIN mart_ops.device_status d ON d.device_id = c.device_id ORDER BY 1, 2` },
    { id: 'recent-sessions', title: 'Latest sessions', type: 'table', w: 12, filters: [...ALL],
      sql: `SELECT s.session_date, s.started_at, s.session_type, s.session_status, s.clinician, s.duration_minutes, s.pulse_bpm, s.spo2_pct, s.device_id
        FROM mart_analytics.sessions s WHERE ${SESSION_FILTER} ORDER BY s.started_at DESC NULLS LAST, s.session_id LIMIT 50` },
  ],
};

const SYNC_FILTER = `($date_from IS NULL OR sync_date >= $date_from) AND ($date_to IS NULL OR sync_date <= $date_to)
  AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}`;

export const OPERATIONS: Dashboard = {
  id: 'operations',
  title: 'Operations',
  description: 'Sync health per device, ETL backlog, rejects, conflicts, backups and health checks (mart_ops).',
  builtin: true,
  charts: [
    { id: 'devices-silent', title: 'Devices silent for a day or more', type: 'number', w: 3, filters: ['device', 'group'],
      sql: `SELECT count(*) AS devices FROM mart_ops.device_status WHERE (last_seen_at IS NULL OR last_seen_at < now() - INTERVAL 1 DAY)
        AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}` },
    { id: 'pushes-total', title: 'Pushes', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT coalesce(sum(push_count), 0) AS pushes FROM mart_ops.device_sync_daily WHERE ${SYNC_FILTER}` },
    { id: 'rejects-total', title: 'Rejected ops', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT coalesce(sum(rejected_count), 0) AS rejected FROM mart_ops.device_sync_daily WHERE ${SYNC_FILTER}` },
    { id: 'conflicts-total', title: 'Soft conflicts to review', type: 'number', w: 3, filters: [...ALL],
      sql: `SELECT count(*) AS conflicts FROM mart_ops.conflicts WHERE ($date_from IS NULL OR conflict_date >= $date_from)
        AND ($date_to IS NULL OR conflict_date <= $date_to) AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}`,
      drill: `SELECT * FROM mart_ops.conflicts WHERE ($date_from IS NULL OR conflict_date >= $date_from)
        AND ($date_to IS NULL OR conflict_date <= $date_to) AND ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}
        ORDER BY received_at DESC LIMIT 1000` },
    { id: 'device-status', title: 'Sync status per device', type: 'table', w: 12, filters: ['device', 'group'],
      sql: `SELECT coalesce(device_name, right(device_id::VARCHAR, 12)) AS device, array_to_string(groups, ', ') AS groups, app_version,
          last_seen_at, last_push_at, last_pull_at, last_seq, push_count, pull_count, rejected_count, error_count, conflict_count,
          round(epoch(now() - last_seen_at) / 3600, 1) AS hours_since_seen
        FROM mart_ops.device_status WHERE ($device IS NULL OR device_id = CAST($device AS UUID)) AND ${DEVICE_IN_GROUP}
        ORDER BY last_seen_at DESC NULLS LAST` },
    { id: 'sync-per-day', title: 'Pushes and pulls per day', type: 'bar', w: 6, x: 'day', y: ['pushes', 'pulls'], filters: [...ALL],
      sql: `SELECT sync_date AS day, sum(push_count) AS pushes, sum(pull_count) AS pulls FROM mart_ops.device_sync_daily WHERE ${SYNC_FILTER} GROUP BY 1 ORDER BY 1`,
      drill: `SELECT * FROM mart_ops.device_sync_daily WHERE ${SYNC_FILTER} AND sync_date = CAST($x AS DATE) ORDER BY device_id` },
    { id: 'rejects-per-day', title: 'Ops, rejects and errors per day', type: 'line', w: 6, x: 'day', y: ['ops', 'rejected', 'errors'], filters: [...ALL],
      sql: `SELECT sync_date AS day, sum(op_count) AS ops, sum(rejected_count) AS rejected, sum(error_count) AS errors
        FROM mart_ops.device_sync_daily WHERE ${SYNC_FILTER} GROUP BY 1 ORDER BY 1` },
    { id: 'quarantine-reasons', title: 'Quarantined rows by reason', type: 'pie', w: 6, x: 'reason_code', y: ['rows'], filters: ['date'],
      sql: `SELECT reason_code, count(*) AS rows FROM mart_ops.quarantine
        WHERE ($date_from IS NULL OR received_at::DATE >= $date_from) AND ($date_to IS NULL OR received_at::DATE <= $date_to) GROUP BY 1 ORDER BY 2 DESC`,
      drill: `SELECT quarantine_key, model, reason_code, reason, received_at, raw FROM mart_ops.quarantine
        WHERE ($date_from IS NULL OR received_at::DATE >= $date_from) AND ($date_to IS NULL OR received_at::DATE <= $date_to) AND reason_code = $x
        ORDER BY received_at DESC LIMIT 1000` },
    { id: 'etl-lag', title: 'ETL lag and backlog (at last refresh)', type: 'table', w: 6, filters: [],
      sql: `SELECT model, last_status, last_ok_at, seconds_since_ok, sync_inbound_backlog_rows AS backlog_rows FROM mart_ops.etl_lag ORDER BY model` },
    { id: 'backups', title: 'Backups', type: 'table', w: 6, filters: [],
      sql: `SELECT kind, last_status, last_finished_at, last_ok_at, round(last_ok_size_bytes / 1048576.0, 1) AS last_ok_mb, last_error FROM mart_ops.backup_status ORDER BY kind` },
    { id: 'health', title: 'Health checks', type: 'table', w: 6, filters: [],
      sql: `SELECT check_name, status, message, since, checked_at FROM mart_ops.health_status ORDER BY status DESC, check_name` },
  ],
};

export const BUILTIN_DASHBOARDS: Dashboard[] = [OPERATIONS, FIELD_ACTIVITY];
