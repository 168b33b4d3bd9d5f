// The registry of long-running services, in start order. A component adds
// its ServiceDefinition here; `nexus up` and the per-service commands pick it
// up without further changes.

import type { ServiceDefinition } from '../core/service.ts';
import { guardianService } from '../guardian/index.ts';
import { etlMartsService, etlStagingService } from '../etl/service.ts';
import { syncService } from '../sync/service.ts';
import { backupService } from '../backup/service.ts';
import { healthService } from '../health/service.ts';
import { crawlService } from '../crawl/service.ts';

// sync after guardian: it verifies tokens against the Guardian started before it.
export const SERVICES: ServiceDefinition[] = [guardianService, syncService, etlStagingService, etlMartsService];
// health last: it watches the endpoints of the services started before it.
SERVICES.push(crawlService);
SERVICES.push(backupService, healthService);
