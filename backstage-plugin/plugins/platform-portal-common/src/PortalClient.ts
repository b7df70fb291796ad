import { portalErrorFromResponse, portalUnreachable } from './errors';
import type {
  ActionRequest,
  CanaryJudgement,
  Counted,
  DryRunResult,
  GateEvaluation,
  GoldenPath,
  Incident,
  JsonObject,
  PortalEntity,
  Postmortem,
  PreviewEnvironment,
  PreviewState,
  ResourceRequest,
  ResourceRequestInput,
  ResourceRequestStarted,
  ResourceRequestWithLog,
  RiskAssessment,
  Run,
  RunRequest,
  RunStarted,
  RunWithLog,
  ServiceCost,
  ServiceSloStatus,
} from './types';

type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export interface PortalClientOptions {
  /** The portal's root URL, or the Backstage proxy route that forwards to it (`.../api/proxy/platform-portal`). */
  baseUrl: string;
  /** A portal service token; leave it out when a proxy adds the Authorization header. */
  token?: string;
  /** The fetch to use: Backstage's `fetchApi.fetch` in the browser; the global fetch by default. */
  fetch?: FetchFunction;
  /** Give up on one request after this long (default 30 s). */
  requestTimeoutMs?: number;
}

interface RequestOptions {
  method?: 'GET' | 'POST';
  /** Arrays become repeated parameters (`state=a&state=b`), as the portal's multiple-choice filters read them. */
  query?: Record<string, string | number | readonly string[] | undefined>;
  body?: JsonObject;
  signal?: AbortSignal;
}

/** A typed client of the portal's REST API, for Node and the browser alike. */
export class PortalClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: FetchFunction;
  private readonly requestTimeoutMs: number;

  constructor(options: PortalClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  listGoldenPaths(signal?: AbortSignal): Promise<GoldenPath[]> {
    return this.json<GoldenPath[]>('/api/v1/golden-paths', { signal });
  }

  /** Start a run; the same idempotency key answers with the run it started before. */
  async startRun(path: string, request: RunRequest, signal?: AbortSignal): Promise<RunStarted> {
    const body: JsonObject = { parameters: request.parameters, dry_run: false };
    if (request.idempotencyKey) body.idempotency_key = request.idempotencyKey;
    if (request.requestedFor) body.requested_for = request.requestedFor;
    const response = await this.send(`/api/v1/golden-paths/${segment(path)}/runs`, {
      method: 'POST',
      body,
      signal,
    });
    return { run: (await response.json()) as Run, created: response.status === 202 };
  }

  /** Render the golden path with these parameters and return its files; nothing is created. */
  dryRun(path: string, request: RunRequest, signal?: AbortSignal): Promise<DryRunResult> {
    const body: JsonObject = { parameters: request.parameters, dry_run: true };
    if (request.requestedFor) body.requested_for = request.requestedFor;
    return this.json<DryRunResult>(`/api/v1/golden-paths/${segment(path)}/runs`, {
      method: 'POST',
      body,
      signal,
    });
  }

  /** Read a run with the log lines whose id is greater than `after`. */
  getRun(id: string, after = 0, signal?: AbortSignal): Promise<RunWithLog> {
    return this.json<RunWithLog>(`/api/v1/scaffolder/runs/${segment(id)}`, { query: { after }, signal });
  }

  /** Resume a failed run at its failed step. */
  retryRun(id: string, signal?: AbortSignal): Promise<Run> {
    return this.json<Run>(`/api/v1/scaffolder/runs/${segment(id)}/retry`, { method: 'POST', signal });
  }

  /** Request a resource (database, cache, queue, bucket); the same idempotency key answers with the same request. */
  async startResourceRequest(
    input: ResourceRequestInput,
    signal?: AbortSignal,
  ): Promise<ResourceRequestStarted> {
    const body: JsonObject = {
      kind: input.kind,
      name: input.name,
      service: input.service,
      environment: input.environment,
      parameters: input.parameters,
    };
    if (input.idempotencyKey) body.idempotency_key = input.idempotencyKey;
    if (input.requestedFor) body.requested_for = input.requestedFor;
    const response = await this.send('/api/v1/infra/requests', { method: 'POST', body, signal });
    return { request: (await response.json()) as ResourceRequest, created: response.status === 202 };
  }

  /** Read a resource request with the log lines whose id is greater than `after`. */
  getResourceRequest(id: string, after = 0, signal?: AbortSignal): Promise<ResourceRequestWithLog> {
    return this.json(`/api/v1/infra/requests/${segment(id)}`, { query: { after }, signal });
  }

  /** Resume a failed resource request at its failed step. */
  retryResourceRequest(id: string, signal?: AbortSignal): Promise<ResourceRequest> {
    return this.json(`/api/v1/infra/requests/${segment(id)}/retry`, { method: 'POST', signal });
  }

  async catalogEntities(signal?: AbortSignal): Promise<PortalEntity[]> {
    return (await this.json<{ items: PortalEntity[] }>('/api/v1/catalog/entities', { signal })).items;
  }

  sloStatus(service: string, signal?: AbortSignal): Promise<ServiceSloStatus> {
    return this.json(`/api/v1/slo/services/${segment(service)}/status`, { signal });
  }

  serviceCost(service: string, days = 30, signal?: AbortSignal): Promise<ServiceCost> {
    return this.json(`/api/v1/finops/services/${segment(service)}/cost`, { query: { days }, signal });
  }

  openIncidents(service: string, signal?: AbortSignal): Promise<Counted<Incident>> {
    return this.json('/api/v1/incidents', { query: { service, state: 'open' }, signal });
  }

  lastPostmortem(service: string, signal?: AbortSignal): Promise<Counted<Postmortem>> {
    return this.json('/api/v1/incidents/postmortems', { query: { service, limit: 1 }, signal });
  }

  pendingActionRequests(service: string, signal?: AbortSignal): Promise<Counted<ActionRequest>> {
    return this.json('/api/v1/remediation/action-requests', { query: { service, state: 'pending' }, signal });
  }

  /** The newest change risk assessment (`results` holds at most one; `count` is all of them). */
  latestRiskAssessment(service: string, signal?: AbortSignal): Promise<Counted<RiskAssessment>> {
    return this.json('/api/v1/changes/risk', { query: { service, page_size: 1 }, signal });
  }

  latestCanaryJudgement(service: string, signal?: AbortSignal): Promise<Counted<CanaryJudgement>> {
    return this.json('/api/v1/delivery/canary/judgements', { query: { service, page_size: 1 }, signal });
  }

  latestGateEvaluation(service: string, signal?: AbortSignal): Promise<Counted<GateEvaluation>> {
    return this.json('/api/v1/delivery/gates/evaluations', { query: { service, page_size: 1 }, signal });
  }

  /** Preview environments of the service in any of `states`, up to `pageSize` of them. */
  previews(
    service: string,
    states: readonly PreviewState[],
    pageSize: number,
    signal?: AbortSignal,
  ): Promise<Counted<PreviewEnvironment>> {
    return this.json('/api/v1/previews/', { query: { service, state: states, page_size: pageSize }, signal });
  }

  private async json<T>(path: string, options: RequestOptions): Promise<T> {
    const response = await this.send(path, options);
    return (await response.json()) as T;
  }

  private async send(path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (options.body) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), {
        method: options.method ?? 'GET',
        headers,
        body: options.body ? JSON.stringify(options.body) : undefined,
        signal: requestSignal(this.requestTimeoutMs, options.signal),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw portalUnreachable(this.baseUrl, error);
    }
    if (!response.ok) {
      throw portalErrorFromResponse(response.status, response.statusText, await response.text());
    }
    return response;
  }

  private url(path: string, query: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const one of typeof value === 'object' ? value : [value]) params.append(key, String(one));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }
}

/** The caller's signal and the request timeout together, where the runtime can combine them. */
function requestSignal(timeoutMs: number, signal: AbortSignal | undefined): AbortSignal | undefined {
  const timeout = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(timeoutMs) : undefined;
  if (!signal || !timeout) return signal ?? timeout;
  return typeof AbortSignal.any === 'function' ? AbortSignal.any([signal, timeout]) : signal;
}

function segment(value: string): string {
  return encodeURIComponent(value);
}
