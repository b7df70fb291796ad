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

export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

/** One reason a change is risky; the factors' points add up to the score. */
export interface RiskFactor {
  key: string;
  points: number;
  reason: string;
}

/** How to roll the change out: `straight`, `canary`, `blue_green` or `feature_flag`, with why. */
export interface RolloutStrategy {
  name: string;
  reason: string;
  [key: string]: JsonValue;
}

/** A change risk assessment (`GET /api/v1/changes/risk`), newest first. */
export interface RiskAssessment {
  id: number;
  service: string;
  repository: string;
  pull_request: number | null;
  head_sha: string;
  author: string;
  source: string;
  at: string;
  timezone: string;
  /** 0..100. */
  score: number;
  level: RiskLevel;
  factors: RiskFactor[];
  areas: JsonValue;
  files: JsonValue;
  tests: JsonValue;
  strategy: RolloutStrategy;
  /** Only for high and critical risk. */
  rollback: JsonValue;
  /** The pull-request comment (Markdown). */
  summary: string;
  /** The comment on the pull request; null without a pull request. */
  comment: { id: string | number | null; url: string | null; posted: boolean; error: string } | null;
  created_at: string;
  updated_at: string;
}

export type CanaryOutcome = 'pass' | 'marginal' | 'fail';

/** One metric of a canary judgement, with its reason in words. */
export interface CanaryMetricResult {
  name: string;
  /** `pass`, `high`, `low`, `nodata`, `nodata_fail` or `error`. */
  classification: string;
  passed: boolean;
  reason: string;
  groups: string[];
  direction: string;
  critical: boolean;
  /** Reported, not scored. */
  muted: boolean;
  ratio: number | null;
  effect_size: number | null;
  p_value: number | null;
  [key: string]: JsonValue;
}

/** A canary judgement (`GET /api/v1/delivery/canary/judgements`), newest first. */
export interface CanaryJudgement {
  id: number;
  service: string;
  environment: string;
  config: string;
  outcome: CanaryOutcome;
  /** 0..100. */
  score: number;
  reasons: string[];
  metrics: CanaryMetricResult[];
  group_scores: Record<string, number>;
  baseline: JsonValue;
  canary: JsonValue;
  start: string;
  end: string;
  requested_by: string | null;
  created_at: string;
  url: string;
}

export type GateOutcome = 'pass' | 'block';

/** One quality gate of an evaluation. */
export interface GateResult {
  name: string;
  outcome: GateOutcome | 'skipped';
  observed: number | null;
  threshold: number | null;
  unit: string;
  derivation: string;
  reason: string;
}

/** A quality-gate evaluation (`GET /api/v1/delivery/gates/evaluations`), newest first. */
export interface GateEvaluation {
  id: number;
  service: string;
  environment: string;
  version: string;
  outcome: GateOutcome;
  /** The blocking gates' reasons. */
  reasons: string[];
  gates: GateResult[];
  start: string;
  end: string;
  requested_by: string | null;
  created_at: string;
}

export type PreviewState =
  'requested' | 'deploying' | 'active' | 'sleeping' | 'deleting' | 'deleted' | 'failed';

/** A pull request's preview environment (`GET /api/v1/previews/`), newest first. */
export interface PreviewEnvironment {
  id: number;
  service: string;
  team: string;
  /** The pull request's number. */
  number: number;
  provider: string;
  repository: string;
  title: string;
  author: string;
  /** The pull request's web page. */
  url: string;
  branch: string;
  head_sha: string;
  deployed_sha: string;
  namespace: string;
  state: PreviewState;
  reason: string;
  last_push_at: string;
  expires_at: string;
  awake_until: string | null;
  gitops_commit: string;
  /** US dollars so far, as a decimal string ("1.250000"). */
  cost: string;
  running_hours: number;
  sleeping_hours: number;
  created_at: string;
  deleted_at: string | null;
  links: { self: string; extend: string; wake: string };
}
