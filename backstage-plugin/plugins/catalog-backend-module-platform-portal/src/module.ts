import {
  coreServices,
  createBackendModule,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
} from '@backstage/backend-plugin-api';
import type { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import { portalClientFromConfig } from '@platform-portal/plugin-platform-portal-common';
import { PlatformPortalEntityProvider } from './providers/PlatformPortalEntityProvider';

export const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 5 },
  timeout: { minutes: 3 },
  initialDelay: { seconds: 15 },
};

/** Adds the platform portal's entity provider to the catalog; reads `platformPortal.*` from app-config. */
export const catalogModulePlatformPortal = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'platform-portal',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        scheduler: coreServices.scheduler,
      },
      async init({ catalog, config, logger, scheduler }) {
        const provider = new PlatformPortalEntityProvider({
          client: portalClientFromConfig(config),
          logger,
          taskRunner: scheduler.createScheduledTaskRunner(scheduleFrom(config)),
        });
        catalog.addEntityProvider(provider);
      },
    });
  },
});

function scheduleFrom(config: Config): SchedulerServiceTaskScheduleDefinition {
  const key = 'platformPortal.catalog.schedule';
  return config.has(key)
    ? readSchedulerServiceTaskScheduleDefinitionFromConfig(config.getConfig(key))
    : DEFAULT_SCHEDULE;
}
