import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { ActionContext } from '@backstage/plugin-scaffolder-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { JsonObject, PortalClient, Run } from '@platform-portal/plugin-platform-portal-common';
import { DEFAULT_POLLING, followRun } from './followRun';
import type { PollingOptions } from './followRun';
import { renderPreview } from './preview';
import { DEFAULT_RETRY, withRetries } from './retry';
import type { RetryOptions } from './retry';

export const GOLDEN_PATH_RUN_ACTION_ID = 'portal:golden-path:run';

export interface GoldenPathRunActionOptions {
  client: PortalClient;
  polling?: Partial<PollingOptions>;
  startRetry?: Partial<RetryOptions>;
  /** How long to wait for a run when the step does not say (default 30 minutes). */
  defaultTimeoutMinutes?: number;
}

type RunInput = { path: string; parameters: JsonObject; idempotencyKey?: string; timeoutMinutes?: number };
type RunOutput = {
  repoUrl: string;
  pullRequestUrl: string;
  entityRef: string;
  runUrl: string;
  runId: string;
};
type RunContext = ActionContext<RunInput, RunOutput>;

/** The run a step started, as kept in its checkpoint: enough to find it again after a restart. */
interface StartedRun extends JsonObject {
  runId: string;
  runUrl: string;
}

const EXAMPLE = `steps:
  - id: create
    name: Create the service
    action: ${GOLDEN_PATH_RUN_ACTION_ID}
    input:
      path: python-http-service
      parameters:
        name: \${{ parameters.name }}
        owner: \${{ parameters.owner }}
output:
  links:
    - title: Repository
      url: \${{ steps.create.output.repoUrl }}
    - title: In the catalog
      icon: catalog
      entityRef: \${{ steps.create.output.entityRef }}`;

/**
 * `portal:golden-path:run`: start a golden-path run in the platform portal and wait for it to end.
 *
 * The run's id is kept in a checkpoint, so a task the scaffolder recovers after a restart waits on
 * the same run instead of starting another; the idempotency key protects the start itself.
 */
export function createGoldenPathRunAction(options: GoldenPathRunActionOptions) {
  const { client } = options;
  const polling = { ...DEFAULT_POLLING, ...options.polling };
  const startRetry = { ...DEFAULT_RETRY, ...options.startRetry };
  return createTemplateAction({
    id: GOLDEN_PATH_RUN_ACTION_ID,
    description:
      'Creates a service from a golden path through the platform portal: starts a run, follows its log ' +
      'until it ends and outputs the repository, pull request and catalog entity.',
    examples: [{ description: 'Create a Python HTTP service', example: EXAMPLE }],
    supportsDryRun: true,
    schema: {
      input: {
        path: z => z.string().min(1).describe('Golden path name, for example python-http-service'),
        parameters: z =>
          z
            .record(z.string(), z.any())
            .describe("The run's parameters, checked against the golden path's schema"),
        idempotencyKey: z =>
          z
            .string()
            .max(200)
            .optional()
            .describe('Repeating a key answers with the same run (default: <task id>:<step id>)'),
        timeoutMinutes: z =>
          z
            .number()
            .positive()
            .optional()
            .describe('Stop waiting after this long; the run goes on in the portal'),
      },
      output: {
        repoUrl: z => z.string().describe('The new repository'),
        pullRequestUrl: z => z.string().describe('The GitOps change that deploys it'),
        entityRef: z => z.string().describe('The catalog entity, for example component:default/ledger'),
        runUrl: z => z.string().describe("The run's page in the portal"),
        runId: z => z.string().describe("The run's id"),
      },
    },
    async handler(ctx) {
      if (ctx.isDryRun) {
        await previewInstead(client, ctx);
        return;
      }
      const runId = await startOrResume(client, ctx, startRetry);
      const minutes = ctx.input.timeoutMinutes ?? options.defaultTimeoutMinutes ?? 30;
      const run = await followRun(client, runId, {
        logger: ctx.logger,
        polling,
        deadline: Date.now() + minutes * 60_000,
        signal: ctx.signal,
      });
      report(ctx, run);
    },
  });
}

/**
 * Start the run once per step: the checkpoint keeps its id, so a recovered task finds it again.
 * A resumed step whose run has failed meanwhile asks the portal to retry that run.
 */
async function startOrResume(client: PortalClient, ctx: RunContext, retry: RetryOptions): Promise<string> {
  let startedNow = false;
  const started = await ctx.checkpoint<StartedRun>({
    key: 'golden-path-run',
    fn: async () => {
      startedNow = true;
      return start(client, ctx, retry);
    },
  });
  if (!startedNow) {
    ctx.logger.info(
      `Resuming run ${started.runId}, started before the scaffolder restarted: ${started.runUrl}`,
    );
    await retryIfFailed(client, started.runId, ctx.logger, ctx.signal);
  }
  return started.runId;
}

async function start(client: PortalClient, ctx: RunContext, retry: RetryOptions): Promise<StartedRun> {
  const request = {
    parameters: ctx.input.parameters,
    idempotencyKey: ctx.input.idempotencyKey ?? defaultIdempotencyKey(ctx.task.id, ctx.step?.id),
    requestedFor: ctx.user?.ref,
  };
  const { run, created } = await withRetries(
    `Starting golden path ${ctx.input.path}`,
    () => client.startRun(ctx.input.path, request, ctx.signal),
    { ...retry, logger: ctx.logger, signal: ctx.signal },
  );
  const verb = created ? 'Started' : 'Found the earlier';
  ctx.logger.info(`${verb} run ${run.id} of ${run.golden_path}: ${run.run_url}`);
  return { runId: run.id, runUrl: run.run_url };
}

/** Fail the task with the portal's reason, or output what the run created. */
function report(ctx: RunContext, run: Run): void {
  if (run.state === 'failed') {
    throw new Error(failureMessage(run));
  }
  ctx.logger.info(`Run ${run.id} succeeded: ${run.repo_url}`);
  ctx.output('repoUrl', run.repo_url);
  ctx.output('pullRequestUrl', run.pull_request_url);
  ctx.output('entityRef', run.entity_ref);
  ctx.output('runUrl', run.run_url);
  ctx.output('runId', run.id);
}

/** In a dry run (template editor), render through the portal and output placeholders. */
async function previewInstead(client: PortalClient, ctx: RunContext): Promise<void> {
  const { path, parameters } = ctx.input;
  await renderPreview(client, { path, parameters, requestedFor: ctx.user?.ref }, ctx);
  const name = typeof parameters.name === 'string' ? parameters.name : 'service';
  ctx.output('repoUrl', `https://example.invalid/dry-run/${name}`);
  ctx.output('pullRequestUrl', `https://example.invalid/dry-run/${name}/pull/1`);
  ctx.output('entityRef', `component:default/${name}`);
  ctx.output('runUrl', 'https://example.invalid/dry-run');
  ctx.output('runId', 'dry-run');
}

/** One key per task step, so that two golden-path steps in one template start two runs. */
export function defaultIdempotencyKey(taskId: string, stepId: string | undefined): string {
  return stepId ? `${taskId}:${stepId}` : taskId;
}

/** A step run again (task recovered or retried) after its run failed: resume the run at its failed step. */
async function retryIfFailed(
  client: PortalClient,
  runId: string,
  logger: LoggerService,
  signal?: AbortSignal,
) {
  const run = await client.getRun(runId, Number.MAX_SAFE_INTEGER, signal);
  if (run.state !== 'failed') return;
  logger.warn(`Run ${runId} had failed (${run.error}); asking the portal to retry it from that step`);
  await client.retryRun(runId, signal);
}

function failureMessage(run: Run): string {
  const step = run.current_step || run.steps.find(s => s.state === 'failed')?.name;
  const where = step && !run.error.startsWith(`${step}:`) ? ` at step ${step}` : '';
  return `Golden-path run ${run.id} failed${where}: ${run.error || 'no reason given'} (${run.run_url})`;
}
