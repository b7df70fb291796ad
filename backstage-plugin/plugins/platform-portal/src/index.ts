/**
 * Entity cards for the platform portal: SLOs and error budget, cost, incidents, pending approvals,
 * delivery (change risk, canary, quality gates, previews).
 *
 * @packageDocumentation
 */
export {
  platformPortalPlugin,
  EntityPlatformPortalSloCard,
  EntityPlatformPortalCostCard,
  EntityPlatformPortalIncidentsCard,
  EntityPlatformPortalApprovalsCard,
  EntityPlatformPortalDeliveryCard,
} from './plugin';
export {
  platformPortalApiRef,
  PlatformPortalClient,
  DEFAULT_PROXY_PATH,
  LIVE_PREVIEW_STATES,
  PREVIEWS_PAGE_SIZE,
} from './api';
export type { PlatformPortalApi } from './api';
export { isPlatformPortalService, portalServiceName, SERVICE_NAME_ANNOTATION } from './serviceName';
