/**
 * The platform portal's API as Backstage reads it (see ../../API.md for the contract).
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** The body of every portal error answer. */
export interface PortalErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string[]>;
  };
}

/** One golden path from `GET /api/v1/golden-paths`. */
export interface GoldenPath {
  name: string;
  title: string;
  description: string;
  version: string;
  environments: string[];
  /** JSON Schema of the run parameters. */
  parameters: JsonObject;
}

export type RunState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface RunStep {
  name: string;
  state: RunState;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: string;
}

/** A scaffold run of a golden path. */
export interface Run {
  id: string;
  golden_path: string;
  golden_path_version: string;
  service_name: string;
  owner: string;
  requested_by: string;
  requested_for: string;
  state: RunState;
  current_step: string;
  error: string;
  repo_url: string;
  pull_request_url: string;
  entity_ref: string;
  run_url: string;
  status_url: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  steps: RunStep[];
}

export interface RunLogLine {
  id: number;
  created_at: string;
  step: string;
  level: string;
  message: string;
}

/** A run with the log lines newer than the `after` it was read with. */
export interface RunWithLog extends Run {
  log: RunLogLine[];
}

export interface RunRequest {
  parameters: JsonObject;
  idempotencyKey?: string;
  /** Backstage user ref of the person behind the request. */
  requestedFor?: string;
}

/** The answer to starting a run: the run and whether the portal created it now. */
export interface RunStarted {
  run: Run;
  created: boolean;
}

export type ResourceRequestState =
  'pending' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'rejected';

/** Where a resource's connection details are: a reference, never a value. */
export interface ConnectionSecretReference {
  secret_store?: string;
  secret_store_path?: string;
  /** `<namespace>/<name>` of the Kubernetes Secret the ExternalSecret writes. */
  kubernetes_secret?: string;
  external_secret?: string;
  keys?: string[];
}

/** A request for a database, cache, queue or bucket (`/api/v1/infra/requests`); the same run shape as a Run. */
export interface ResourceRequest {
  id: string;
  kind: string;
  name: string;
  resource_name: string;
  service: string;
  environment: string;
  owner: string;
  parameters: JsonObject;
  renderer: string;
  requested_by: string;
  requested_for: string;
  state: ResourceRequestState;
  current_step: string;
  error: string;
  approval_reasons: string[];
  approval_url: string;
  repository: string;
  commit: string;
  pull_request_url: string;
  connection_secret: ConnectionSecretReference;
  entity_ref: string;
  run_url: string;
  status_url: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  steps: RunStep[];
}

export interface ResourceRequestWithLog extends ResourceRequest {
  log: RunLogLine[];
}

export interface ResourceRequestInput {
  kind: string;
  name: string;
  /** A service name or a component entity ref. */
  service: string;
  environment: string;
  parameters: JsonObject;
  idempotencyKey?: string;
  requestedFor?: string;
}

export interface ResourceRequestStarted {
  request: ResourceRequest;
  created: boolean;
}

export interface DryRunFile {
  path: string;
  size: number;
  /** The text, or null for a binary file. */
  content: string | null;
  truncated: boolean;
}

export interface DryRunResult {
  dry_run: true;
  files: DryRunFile[];
}

export type SloStatusLevel = 'ok' | 'warning' | 'exhausted';

export interface ServiceSlo {
  name: string;
  /** Target in percent, for example 99.9. */
  objective: number;
  /** For example "30d". */
  window: string;
  /** Fraction of the error budget left, 0..1. */
  error_budget_remaining: number;
  burn_rates: Partial<Record<'5m' | '1h' | '6h' | '1d' | '3d', number>>;
  status: SloStatusLevel;
}

export interface ServiceSloStatus {
  service: string;
  slos: ServiceSlo[];
}

export interface ServiceCost {
  service: string;
  currency: string;
  total: number;
  daily: { date: string; cost: number }[];
  /** Change against the period before, in percent; null when there is nothing to compare. */
  trend_percent: number | null;
}

export interface Counted<T> {
  count: number;
  results: T[];
}

export interface Incident {
  id: string;
  title: string;
  severity: string;
  state: string;
  started_at: string;
  url: string;
}

export interface Postmortem {
  id: string;
  incident_id: string;
  title: string;
  created_at: string;
  url: string;
}

export interface ActionRequest {
  id: string;
  action: string;
  reason: string;
  requested_by: string;
  created_at: string;
  url: string;
}

/** A Backstage entity as the portal serves it (validated by the catalog, so kept loose here). */
export interface PortalEntity {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}
