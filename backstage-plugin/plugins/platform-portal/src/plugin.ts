import {
  configApiRef,
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { PlatformPortalClient, platformPortalApiRef } from './api';

export const platformPortalPlugin = createPlugin({
  id: 'platform-portal',
  apis: [
    createApiFactory({
      api: platformPortalApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef, configApi: configApiRef },
      factory: ({ discoveryApi, fetchApi, configApi }) =>
        new PlatformPortalClient({
          discoveryApi,
          fetchApi,
          proxyPath: configApi.getOptionalString('platformPortal.proxyPath'),
        }),
    }),
  ],
});

/** SLOs of the entity's service with error budget left, burn rates and status. */
export const EntityPlatformPortalSloCard = platformPortalPlugin.provide(
  createComponentExtension({
    name: 'EntityPlatformPortalSloCard',
    component: { lazy: () => import('./components/SloCard').then(m => m.SloCard) },
  }),
);

/** Cost of the entity's service over the last 30 days, with its trend. */
export const EntityPlatformPortalCostCard = platformPortalPlugin.provide(
  createComponentExtension({
    name: 'EntityPlatformPortalCostCard',
    component: { lazy: () => import('./components/CostCard').then(m => m.CostCard) },
  }),
);

/** Open incidents of the entity's service and its last postmortem. */
export const EntityPlatformPortalIncidentsCard = platformPortalPlugin.provide(
  createComponentExtension({
    name: 'EntityPlatformPortalIncidentsCard',
    component: { lazy: () => import('./components/IncidentsCard').then(m => m.IncidentsCard) },
  }),
);

/** Remediation actions for the entity's service waiting for approval. */
export const EntityPlatformPortalApprovalsCard = platformPortalPlugin.provide(
  createComponentExtension({
    name: 'EntityPlatformPortalApprovalsCard',
    component: { lazy: () => import('./components/ApprovalsCard').then(m => m.ApprovalsCard) },
  }),
);

/** Delivery of the entity's service: latest change risk, canary judgement, quality gates and live previews. */
export const EntityPlatformPortalDeliveryCard = platformPortalPlugin.provide(
  createComponentExtension({
    name: 'EntityPlatformPortalDeliveryCard',
    component: { lazy: () => import('./components/DeliveryCard').then(m => m.DeliveryCard) },
  }),
);
