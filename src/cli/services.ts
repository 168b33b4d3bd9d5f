// The registry of long-running services, in start order. A component adds
// its ServiceDefinition here; `nexus up` and the per-service commands pick it
// up without further changes.

import type { ServiceDefinition } from '../core/service.ts';
import { guardianService } from '../guardian/index.ts';
import { etlMartsService, etlStagingService } from '../etl/service.ts';
import { syncService } from '../sync/service.ts';
import { crawlService } from '../crawl/service.ts';
import { clarityService } from '../clarity/service.ts';
import { backupService } from '../backup/service.ts';
import { healthService } from '../health/service.ts';

export const SERVICES: ServiceDefinition[] = [
  guardianService,
  syncService, // after guardian: it verifies tokens against the Guardian started before it
  etlStagingService,
  etlMartsService,
  crawlService,
  clarityService,
  backupService,
  healthService, // last: it watches the endpoints of the services started before it
];
