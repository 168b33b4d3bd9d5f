#!/usr/bin/env node
// The `nexus` command. Sources are TypeScript run through tsx's loader, so a
// fresh clone needs no build step: `npm ci` and go.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
