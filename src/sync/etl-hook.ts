// Where new staging rows hand over to ETL: a debounced job on the queue
// (nexus.request_etl(), job key `etl_staging`), added inside the push
// transaction so the job exists exactly when the rows do. A burst of pushes
// yields one run; a push during a run yields one more run after it.

import type pg from 'pg';

export async function enqueueStagingEtl(tx: pg.PoolClient): Promise<void> {
  await tx.query('SELECT nexus.request_etl()');
}
