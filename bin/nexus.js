#!/usr/bin/env node
// The `nexus` command. Sources are TypeScript run through tsx's loader, so a
// fresh clone needs no build step: `npm ci` and go.
import { register } from 'tsx/esm/api';

register();
// PostgreSQL runs `nexus backup archive-wal` once per WAL segment: that path
// skips loading every command (src/backup/archive-wal-main.ts).
if (process.argv[2] === 'backup' && process.argv[3] === 'archive-wal') await import('../src/backup/archive-wal-main.ts');
else await import('../src/cli/main.ts');
