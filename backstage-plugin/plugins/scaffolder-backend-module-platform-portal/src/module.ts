import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { portalClientFromConfig } from '@platform-portal/plugin-platform-portal-common';
import { createGoldenPathDryRunAction } from './actions/goldenPathDryRun';
import { createGoldenPathRunAction } from './actions/goldenPathRun';
import { createResourceRequestAction } from './actions/resourceRequest';

/** Adds the `portal:golden-path:*` and `platform-portal:resource:request` actions to the scaffolder; reads `platformPortal.*` from app-config. */
export const scaffolderModulePlatformPortal = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'platform-portal',
  register(reg) {
    reg.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ scaffolder, config }) {
        const client = portalClientFromConfig(config);
        scaffolder.addActions(
          createGoldenPathRunAction({ client }),
          createGoldenPathDryRunAction({ client }),
          createResourceRequestAction({ client }),
        );
      },
    });
  },
});
