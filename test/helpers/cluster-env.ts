// Settings of the run's shared test cluster, for the harness and test files alike.

export const TEMPLATE_DB = 'nexus_template';

export function clusterSettingsEnv(home: string, dbName: string): Record<string, string> {
  return {
    NEXUS_HOME: home,
    NEXUS_DB_NAME: dbName,
    NEXUS_PG_DURABLE: 'false',
    NEXUS_LOG_LEVEL: 'warn',
  };
}
