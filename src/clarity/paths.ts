// Where Clarity keeps things, all under $NEXUS_HOME/clarity:
//   clarity.duckdb     the engine's copy of the marts and extra sources (rebuildable)
//   state/             users, questions, dashboards, sources (JSON; back this up)
//   sources/           CSV and Parquet files offered as extra sources
//   work/              transient refresh and export files (readable by the engine)

import { mkdirSync } from 'node:fs';
import path from 'node:path';

export interface ClarityPaths {
  root: string;
  duckdb: string;
  state: string;
  sources: string;
  work: string;
}

export function clarityPaths(home: string): ClarityPaths {
  const root = path.join(home, 'clarity');
  return { root, duckdb: path.join(root, 'clarity.duckdb'), state: path.join(root, 'state'), sources: path.join(root, 'sources'), work: path.join(root, 'work') };
}

export function ensureClarityDirs(p: ClarityPaths): void {
  for (const d of [p.root, p.state, p.sources, p.work]) mkdirSync(d, { recursive: true, mode: 0o700 });
}
