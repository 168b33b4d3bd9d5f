// The database roles of DESIGN.md §3. Each is a LOGIN role; what it may do is
// granted by the migrations (objects) and by bootstrap.ts (cluster level).

export const ROLES = {
  nexus_owner: 'owns every object and runs migrations',
  nexus_sync: 'the sync API: inserts into staging.sync_inbound, reads mart_field, its own bookkeeping',
  nexus_etl: 'ETL workers: read staging, write warehouse and marts',
  nexus_crawl: 'crawler: inserts into staging.crawl_raw',
  nexus_import: 'manual imports: inserts into staging.import_raw',
  nexus_backup: 'backups: reads everything (pg_read_all_data)',
  nexus_health: 'health checks: monitoring views (pg_monitor)',
  clarity_reader: 'Clarity BI: reads the marts, nothing else',
} as const;

export type RoleName = keyof typeof ROLES;

export const ROLE_NAMES = Object.keys(ROLES) as RoleName[];

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(ROLES, name);
}
