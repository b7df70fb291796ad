import { createApiRef } from '@backstage/core-plugin-api';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { PortalClient } from '@platform-portal/plugin-platform-portal-common';
import type {
  ActionRequest,
  CanaryJudgement,
  Counted,
  GateEvaluation,
  Incident,
  Postmortem,
  PreviewEnvironment,
  PreviewState,
  RiskAssessment,
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
  /** The newest change risk assessment (`results` holds at most one; `count` is all of them). */
  latestRiskAssessment(service: string): Promise<Counted<RiskAssessment>>;
  /** The newest canary judgement. */
  latestCanaryJudgement(service: string): Promise<Counted<CanaryJudgement>>;
  /** The newest quality-gate evaluation. */
  latestGateEvaluation(service: string): Promise<Counted<GateEvaluation>>;
  /** Preview environments that are live or on their way (requested, deploying, active, sleeping). */
  livePreviews(service: string): Promise<Counted<PreviewEnvironment>>;
}

/** The states of a preview environment that is, or is becoming, live. */
export const LIVE_PREVIEW_STATES: readonly PreviewState[] = ['requested', 'deploying', 'active', 'sleeping'];

/** Up to this many live previews are read (the portal's page; `count` still tells them all). */
export const PREVIEWS_PAGE_SIZE = 20;

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

  async latestRiskAssessment(service: string) {
    return (await this.client()).latestRiskAssessment(service);
  }

  async latestCanaryJudgement(service: string) {
    return (await this.client()).latestCanaryJudgement(service);
  }

  async latestGateEvaluation(service: string) {
    return (await this.client()).latestGateEvaluation(service);
  }

  async livePreviews(service: string) {
    return (await this.client()).previews(service, LIVE_PREVIEW_STATES, PREVIEWS_PAGE_SIZE);
  }

  private async baseUrl(): Promise<string> {
    return `${await this.discoveryApi.getBaseUrl('proxy')}${this.proxyPath}`;
  }

  private async client(): Promise<PortalClient> {
    return new PortalClient({
      baseUrl: await this.baseUrl(),
      fetch: (input, init) => this.fetchApi.fetch(input, init),
    });
  }
}
