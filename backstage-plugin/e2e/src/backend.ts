import { setTimeout as sleep } from 'node:timers/promises';
import { coreServices, createBackendModule, createServiceFactory } from '@backstage/backend-plugin-api';
import type { SchedulerService } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { TestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModuleTemplateKind from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import catalogModulePlatformPortal from '@platform-portal/plugin-catalog-backend-module-platform-portal';
import scaffolderModulePlatformPortal from '@platform-portal/plugin-scaffolder-backend-module-platform-portal';
import knexFactory from 'knex';
import type { Knex } from 'knex';

export interface PortalAccess {
  baseUrl: string;
  token: string;
}

/** A real Backstage backend: scaffolder and catalog with our modules, each plugin on its own in-memory SQLite. */
export interface RunningBackstage {
  baseUrl: string;
  /** The catalog's scheduler, to run the entity provider now instead of on its schedule. */
  catalogScheduler(): SchedulerService;
  stop(): Promise<void>;
}

export async function startBackstage(
  portal: PortalAccess,
  templateFiles: string[],
): Promise<RunningBackstage> {
  const databases: Knex[] = [];
  let catalogScheduler: SchedulerService | undefined;
  const schedulerProbe = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'e2e-scheduler-probe',
    register(reg) {
      reg.registerInit({
        deps: { scheduler: coreServices.scheduler },
        async init({ scheduler }) {
          catalogScheduler = scheduler;
        },
      });
    },
  });
  const backend: TestBackend = await startTestBackend({
    features: [
      mockServices.rootConfig.factory({ data: config(portal, templateFiles) }),
      mockServices.rootLogger.factory({ level: process.env.E2E_DEBUG ? 'debug' : 'warn' }),
      mockServices.scheduler.factory({ includeInitialDelayedTasksOnStartup: true }),
      perPluginSqlite(databases),
      catalogPlugin,
      catalogModuleTemplateKind,
      catalogModulePlatformPortal,
      schedulerProbe,
      scaffolderPlugin,
      scaffolderModulePlatformPortal,
    ],
  });
  return {
    baseUrl: `http://localhost:${backend.server.port()}`,
    catalogScheduler: () => catalogScheduler!,
    async stop() {
      await backend.stop();
      // The scaffolder's task poller runs once more after stop(); closing its database under it crashes it.
      await sleep(1_100);
      await Promise.all(databases.map(knex => knex.destroy()));
    },
  };
}

function config(portal: PortalAccess, templateFiles: string[]) {
  return {
    platformPortal: {
      baseUrl: portal.baseUrl,
      token: portal.token,
      catalog: { schedule: { frequency: { minutes: 30 }, timeout: { minutes: 1 } } },
    },
    catalog: {
      locations: templateFiles.map(target => ({ type: 'file', target, rules: [{ allow: ['Template'] }] })),
    },
  };
}

/** Each plugin gets its own database, as in a real deployment (their migration tables would clash). */
function perPluginSqlite(databases: Knex[]) {
  return createServiceFactory({
    service: coreServices.database,
    deps: {},
    async factory() {
      const knex = knexFactory({
        client: 'better-sqlite3',
        connection: { filename: ':memory:' },
        useNullAsDefault: true,
      });
      databases.push(knex);
      return { getClient: async () => knex };
    },
  });
}
