// The registry of long-running services, in start order. A component adds
// its entry here; `nexus up` and the per-service commands pick it up without
// further changes. Each service's module loads only when it runs: `nexus
// sync` must not carry DuckDB, the crawler and the backup code in its heap
// (a smaller heap is cheaper garbage collection on every upload). Name and
// description are repeated here for the help text; test/cli/program.test.ts
// checks them against the definitions.

import type { ServiceDefinition } from '../core/service.ts';

export interface ServiceEntry {
  name: string;
  description: string;
  load: () => Promise<ServiceDefinition>;
}

export const SERVICES: ServiceEntry[] = [
  {
    name: 'guardian',
    description: 'device identity on the gate: enrolment, access tokens, JWKS, revocations',
    load: async () => (await import('../guardian/index.ts')).guardianService,
  },
  {
    name: 'sync', // after guardian: it verifies tokens against the Guardian started before it
    description: 'the device API: push, files, parameters (HTTPS, Guardian tokens)',
    load: async () => (await import('../sync/service.ts')).syncService,
  },
  {
    name: 'etl-staging',
    description: 'ETL worker: runs the warehouse models when data arrives and every 5 minutes',
    load: async () => (await import('../etl/service.ts')).etlStagingService,
  },
  {
    name: 'etl-marts',
    description: 'ETL worker: runs the marts models when data arrives and every 5 minutes',
    load: async () => (await import('../etl/service.ts')).etlMartsService,
  },
  {
    name: 'crawl',
    description: 'crawler: fetches the sources of NEXUS_CRAWL_DIR on their schedules into staging.crawl_raw',
    load: async () => (await import('../crawl/service.ts')).crawlService,
  },
  {
    name: 'clarity',
    description: 'Clarity BI: dashboards, SQL and exports over the marts (DuckDB engine)',
    load: async () => (await import('../clarity/service.ts')).clarityService,
  },
  {
    name: 'backup',
    description: 'scheduled dumps, base backups, file store copies, restore tests and point-in-time drills',
    load: async () => (await import('../backup/service.ts')).backupService,
  },
  {
    name: 'health', // last: it watches the endpoints of the services started before it
    description: 'health checks with history, alerts on change, /healthz and /metrics',
    load: async () => (await import('../health/service.ts')).healthService,
  },
];
