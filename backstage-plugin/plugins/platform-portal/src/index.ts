/**
 * Entity cards for the platform portal: SLOs and error budget, cost, incidents, pending approvals.
 *
 * @packageDocumentation
 */
export {
  platformPortalPlugin,
  EntityPlatformPortalSloCard,
  EntityPlatformPortalCostCard,
  EntityPlatformPortalIncidentsCard,
  EntityPlatformPortalApprovalsCard,
} from './plugin';
export { platformPortalApiRef, PlatformPortalClient, DEFAULT_PROXY_PATH } from './api';
export type { PlatformPortalApi } from './api';
export { isPlatformPortalService, portalServiceName, SERVICE_NAME_ANNOTATION } from './serviceName';
