import { setTimeout as sleep } from 'node:timers/promises';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { PortalError } from '@platform-portal/plugin-platform-portal-common';
import type {
  JsonObject,
  PortalClient,
  ResourceRequest,
  ResourceRequestWithLog,
  RunLogLine,
} from '@platform-portal/plugin-platform-portal-common';
import { DEFAULT_POLLING } from './followRun';
import type { PollingOptions } from './followRun';
import { defaultIdempotencyKey } from './goldenPathRun';
import { DEFAULT_RETRY, withRetries } from './retry';
import type { RetryOptions } from './retry';

export const RESOURCE_REQUEST_ACTION_ID = 'platform-portal:resource:request';

export interface ResourceRequestActionOptions {
  client: PortalClient;
  polling?: Partial<PollingOptions>;
  startRetry?: Partial<RetryOptions>;
  /** How long to wait when the step does not say (default 5 hours: an approval may take the 4 hours it is open). */
  defaultTimeoutMinutes?: number;
}

type RequestInput = {
  kind: string;
  name: string;
  service: string;
  environment: string;
  parameters?: JsonObject;
  idempotencyKey?: string;
  timeoutMinutes?: number;
};
type RequestOutput = {
  entityRef: string;
  resourceName: string;
  connectionSecret: string;
  pullRequestUrl: string;
  approvalUrl: string;
  runUrl: string;
  requestId: string;
};
type RequestContext = ActionContext<RequestInput, RequestOutput>;

interface StartedRequest extends JsonObject {
  requestId: string;
  runUrl: string;
}

const TERMINAL = new Set<ResourceRequest['state']>(['succeeded', 'failed', 'rejected']);

const EXAMPLE = `steps:
  - id: request
    name: Request a database
    action: ${RESOURCE_REQUEST_ACTION_ID}
    input:
      kind: postgresql
      name: ledger-db
      service: \${{ parameters.service }}
      environment: dev
      parameters:
        size: small
output:
  links:
    - title: In the catalog
      icon: catalog
      entityRef: \${{ steps.request.output.entityRef }}`;

/**
 * `platform-portal:resource:request`: request a PostgreSQL database, Redis cache, queue or bucket for a
 * service through the platform portal and wait until it is provisioned (through the approval that
 * production and large sizes need). The request id is kept in a checkpoint, so a recovered task waits on
 * the same request; the idempotency key protects the start itself.
 */
export function createResourceRequestAction(options: ResourceRequestActionOptions) {
  const { client } = options;
  const polling = { ...DEFAULT_POLLING, ...options.polling };
  const startRetry = { ...DEFAULT_RETRY, ...options.startRetry };
  return createTemplateAction({
    id: RESOURCE_REQUEST_ACTION_ID,
    description:
      'Requests a database, cache, queue or bucket for a service through the platform portal, waits for ' +
      'its approval when production or a large size needs one, and outputs the catalog resource and the ' +
      'Secret its connection details arrive in.',
    examples: [{ description: 'Request a PostgreSQL database in dev', example: EXAMPLE }],
    schema: {
      input: {
        kind: z => z.enum(['postgresql', 'redis', 'queue', 'bucket']).describe('The kind of resource'),
        name: z => z.string().min(1).max(42).describe('Base name; the portal appends the environment'),
        service: z => z.string().min(1).describe('Service name or component entity ref'),
        environment: z => z.string().min(1).describe('Environment name, for example dev or prod'),
        parameters: z =>
          z
            .record(z.string(), z.any())
            .optional()
            .describe("The kind's parameters (size, backup, retention_days, ...); the rest are defaults"),
        idempotencyKey: z =>
          z
            .string()
            .max(200)
            .optional()
            .describe('Repeating a key answers with the same request (default: <task id>:<step id>)'),
        timeoutMinutes: z =>
          z
            .number()
            .positive()
            .optional()
            .describe('Stop waiting after this long; the request goes on in the portal'),
      },
      output: {
        entityRef: z =>
          z.string().describe('The catalog resource, for example resource:default/ledger-db-dev'),
        resourceName: z => z.string().describe("The resource's name in the catalog and Kubernetes"),
        connectionSecret: z =>
          z.string().describe('<namespace>/<name> of the Secret with the connection details (a reference)'),
        pullRequestUrl: z => z.string().describe('The Terraform pull request, when that renderer is used'),
        approvalUrl: z => z.string().describe('The approval request, when one was needed'),
        runUrl: z => z.string().describe("The request's status and log in the portal"),
        requestId: z => z.string().describe("The request's id"),
      },
    },
    async handler(ctx) {
      const requestId = await startOrResume(client, ctx, startRetry);
      const minutes = ctx.input.timeoutMinutes ?? options.defaultTimeoutMinutes ?? 300;
      const done = await followRequest(client, requestId, {
        logger: ctx.logger,
        polling,
        deadline: Date.now() + minutes * 60_000,
        signal: ctx.signal,
      });
      report(ctx, done);
    },
  });
}

async function startOrResume(
  client: PortalClient,
  ctx: RequestContext,
  retry: RetryOptions,
): Promise<string> {
  let startedNow = false;
  const started = await ctx.checkpoint<StartedRequest>({
    key: 'resource-request',
    fn: async () => {
      startedNow = true;
      return start(client, ctx, retry);
    },
  });
  if (!startedNow) {
    ctx.logger.info(`Resuming resource request ${started.requestId}: ${started.runUrl}`);
    const current = await client.getResourceRequest(started.requestId, Number.MAX_SAFE_INTEGER, ctx.signal);
    if (current.state === 'failed') {
      ctx.logger.warn(
        `Request ${started.requestId} had failed (${current.error}); asking the portal to retry it`,
      );
      await client.retryResourceRequest(started.requestId, ctx.signal);
    }
  }
  return started.requestId;
}

async function start(
  client: PortalClient,
  ctx: RequestContext,
  retry: RetryOptions,
): Promise<StartedRequest> {
  const { kind, name, service, environment } = ctx.input;
  const { request, created } = await withRetries(
    `Requesting ${kind} ${name}`,
    () =>
      client.startResourceRequest(
        {
          kind,
          name,
          service,
          environment,
          parameters: ctx.input.parameters ?? {},
          idempotencyKey: ctx.input.idempotencyKey ?? defaultIdempotencyKey(ctx.task.id, ctx.step?.id),
          requestedFor: ctx.user?.ref,
        },
        ctx.signal,
      ),
    { ...retry, logger: ctx.logger, signal: ctx.signal },
  );
  const verb = created ? 'Requested' : 'Found the earlier request for';
  ctx.logger.info(
    `${verb} ${request.kind} ${request.resource_name} (${request.renderer}): ${request.run_url}`,
  );
  return { requestId: request.id, runUrl: request.run_url };
}

interface FollowOptions {
  logger: LoggerService;
  polling: PollingOptions;
  deadline: number;
  signal?: AbortSignal;
}

/** Poll until the request ends, writing new log lines to the task log and saying once where to approve it. */
export async function followRequest(
  client: PortalClient,
  requestId: string,
  options: FollowOptions,
): Promise<ResourceRequest> {
  const { polling, logger } = options;
  let after = 0;
  let delay = polling.initialDelayMs;
  let errors = 0;
  let toldApproval = false;
  for (;;) {
    const read = await readOnce(client, requestId, after, options, ++errors);
    if (read) {
      errors = 0;
      after = writeLog(logger, read.log, after);
      if (TERMINAL.has(read.state)) return read;
      if (read.state === 'awaiting_approval' && !toldApproval) {
        logger.info(`Waiting for approval (${read.approval_reasons.join('; ')}): ${read.approval_url}`);
        toldApproval = true;
      }
      if (Date.now() >= options.deadline) {
        throw new Error(
          `Stopped waiting for resource request ${read.id}: it is still ${read.state}. ` +
            `It goes on in the portal (${read.run_url}); retry this task to wait for it again.`,
        );
      }
      delay = read.log.length ? polling.initialDelayMs : Math.min(delay * polling.factor, polling.maxDelayMs);
    } else {
      delay = Math.min(delay * polling.factor, polling.maxDelayMs);
    }
    await sleep(Math.round(delay), undefined, { signal: options.signal });
  }
}

async function readOnce(
  client: PortalClient,
  requestId: string,
  after: number,
  options: FollowOptions,
  attempt: number,
): Promise<ResourceRequestWithLog | undefined> {
  try {
    return await client.getResourceRequest(requestId, after, options.signal);
  } catch (error) {
    if (
      !(error instanceof PortalError) ||
      !error.retryable ||
      attempt >= options.polling.maxConsecutiveErrors
    ) {
      throw error;
    }
    options.logger.warn(`Reading resource request ${requestId} failed (${error.message}); trying again`);
    return undefined;
  }
}

function writeLog(logger: LoggerService, lines: RunLogLine[], after: number): number {
  let last = after;
  for (const line of lines) {
    if (line.id <= last) continue;
    const text = line.step ? `[${line.step}] ${line.message}` : line.message;
    if (line.level === 'error') logger.error(text);
    else if (line.level === 'warning' || line.level === 'warn') logger.warn(text);
    else logger.info(text);
    last = line.id;
  }
  return last;
}

function report(ctx: RequestContext, request: ResourceRequest): void {
  if (request.state === 'rejected') {
    throw new Error(`Resource request ${request.id} was not approved: ${request.error} (${request.run_url})`);
  }
  if (request.state === 'failed') {
    const where = request.current_step ? ` at step ${request.current_step}` : '';
    throw new Error(`Resource request ${request.id} failed${where}: ${request.error || 'no reason given'}`);
  }
  ctx.logger.info(`${request.resource_name} is ready: ${request.entity_ref}`);
  ctx.output('entityRef', request.entity_ref);
  ctx.output('resourceName', request.resource_name);
  ctx.output('connectionSecret', request.connection_secret.kubernetes_secret ?? '');
  ctx.output('pullRequestUrl', request.pull_request_url);
  ctx.output('approvalUrl', request.approval_url);
  ctx.output('runUrl', request.run_url);
  ctx.output('requestId', request.id);
}
