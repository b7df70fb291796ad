import { createApiRef } from '@backstage/core-plugin-api';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { PortalClient } from '@platform-portal/plugin-platform-portal-common';
import type {
  ActionRequest,
  Counted,
  Incident,
  Postmortem,
  ServiceCost,
  ServiceSloStatus,
} from '@platform-portal/plugin-platform-portal-common';

/** What the entity cards read from the platform portal. */
export interface PlatformPortalApi {
  sloStatus(service: string): Promise<ServiceSloStatus>;
  serviceCost(service: string, days?: number): Promise<ServiceCost>;
  openIncidents(service: string): Promise<Counted<Incident>>;
  lastPostmortem(service: string): Promise<Counted<Postmortem>>;
  pendingActionRequests(service: string): Promise<Counted<ActionRequest>>;
}

export const platformPortalApiRef = createApiRef<PlatformPortalApi>({ id: 'plugin.platform-portal.service' });

export const DEFAULT_PROXY_PATH = '/platform-portal';

/**
 * Reads the portal through Backstage's proxy (`/api/proxy/platform-portal/...`), which adds the
 * portal's service token; the signed-in user's Backstage token goes to the proxy with fetchApi.
 */
export class PlatformPortalClient implements PlatformPortalApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;
  private readonly proxyPath: string;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi; proxyPath?: string }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
    this.proxyPath = options.proxyPath ?? DEFAULT_PROXY_PATH;
  }

  async sloStatus(service: string) {
    return (await this.client()).sloStatus(service);
  }

  async serviceCost(service: string, days = 30) {
    return (await this.client()).serviceCost(service, days);
  }

  async openIncidents(service: string) {
    return (await this.client()).openIncidents(service);
  }

  async lastPostmortem(service: string) {
    return (await this.client()).lastPostmortem(service);
  }

  async pendingActionRequests(service: string) {
    return (await this.client()).pendingActionRequests(service);
  }

  private async client(): Promise<PortalClient> {
    const proxy = await this.discoveryApi.getBaseUrl('proxy');
    return new PortalClient({
      baseUrl: `${proxy}${this.proxyPath}`,
      fetch: (input, init) => this.fetchApi.fetch(input, init),
    });
  }
}
