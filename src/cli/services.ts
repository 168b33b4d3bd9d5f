// The registry of long-running services, in start order. A component adds
// its ServiceDefinition here; `nexus up` and the per-service commands pick it
// up without further changes.

import type { ServiceDefinition } from '../core/service.ts';
import { guardianService } from '../guardian/index.ts';

export const SERVICES: ServiceDefinition[] = [guardianService];
