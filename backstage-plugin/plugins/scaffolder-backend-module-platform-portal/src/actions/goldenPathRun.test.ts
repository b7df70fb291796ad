import { tmpdir } from 'node:os';
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { PortalClient } from '@platform-portal/plugin-platform-portal-common';
import type { JsonValue, Run } from '@platform-portal/plugin-platform-portal-common';
import {
  aRun,
  closedPortUrl,
  FAST,
  line,
  portalError,
  runWithLog,
  startFakePortal,
} from '../testing/fakePortal';
import type { FakePortal, FakeRequest, FakeResponse } from '../testing/fakePortal';
import { createGoldenPathRunAction } from './goldenPathRun';

const INPUT = {
  path: 'python-http-service',
  parameters: { name: 'ledger', owner: 'group:default/payments', tier: 2 },
};
const SUCCEEDED = {
  state: 'succeeded' as const,
  repo_url: 'http://portal.test/git/payments/ledger.git',
  pull_request_url: 'http://portal.test/git/platform/gitops/pulls/7',
  entity_ref: 'component:default/ledger',
};

let portal: FakePortal | undefined;

afterEach(async () => {
  await portal?.close();
  portal = undefined;
});

/** A portal whose run goes through `states` one GET at a time, with each state's log lines. */
function scriptedPortal(states: { run: Partial<Run>; log?: ReturnType<typeof line>[] }[]) {
  let reads = 0;
  const log: ReturnType<typeof line>[] = [];
  return (request: FakeRequest): FakeResponse => {
    if (request.method === 'POST' && request.path.endsWith('/runs')) {
      return { status: 202, body: aRun() };
    }
    if (request.method === 'POST' && request.path.endsWith('/retry')) {
      return { status: 202, body: aRun({ state: 'pending' }) };
    }
    const step = states[Math.min(reads, states.length - 1)]!;
    if (reads < states.length) log.push(...(step.log ?? []));
    reads++;
    return { status: 200, body: runWithLog(aRun(step.run), log, request) };
  };
}

function actionFor(baseUrl: string) {
  return createGoldenPathRunAction({ client: new PortalClient({ baseUrl, token: 'svc-token' }), ...FAST });
}

type RunInput = Parameters<ReturnType<typeof createGoldenPathRunAction>['handler']>[0]['input'];

function contextFor(input: RunInput = INPUT) {
  const logger = mockServices.logger.mock();
  const ctx = createMockActionContext<RunInput>({
    input,
    logger,
    task: { id: 'task-1' },
    workspacePath: tmpdir(),
    user: { ref: 'user:default/lee' },
  });
  return { ctx: { ...ctx, step: { id: 'create' } }, logger };
}

/** A checkpoint store that outlives one handler call, as the scaffolder's task state does. */
function checkpointStore() {
  const saved = new Map<string, JsonValue>();
  return {
    saved,
    async checkpoint<T>({ key, fn }: { key: string; fn: () => Promise<T> | T }): Promise<T> {
      if (saved.has(key)) return saved.get(key) as T;
      const value = await fn();
      saved.set(key, value as JsonValue);
      return value;
    },
  };
}

function logged(
  logger: ReturnType<typeof mockServices.logger.mock>,
  level: 'info' | 'warn' | 'error',
): string[] {
  return logger[level].mock.calls.map(call => String(call[0]));
}

describe('portal:golden-path:run', () => {
  it('starts a run, streams its log into the task log and outputs what it created', async () => {
    portal = await startFakePortal(
      scriptedPortal([
        {
          run: { state: 'running', current_step: 'render' },
          log: [line(1, '', 'run started'), line(2, 'render', 'render: started')],
        },
        { run: { state: 'running', current_step: 'render' } },
        { run: { state: 'running', current_step: 'push' }, log: [line(3, 'push', 'pushed 12 files')] },
        { run: SUCCEEDED, log: [line(4, '', 'run succeeded in 1.2s')] },
      ]),
    );
    const { ctx, logger } = contextFor();

    await actionFor(portal.baseUrl).handler(ctx);

    const start = portal.requests[0]!;
    expect(start.method).toBe('POST');
    expect(start.path).toBe('/api/v1/golden-paths/python-http-service/runs');
    expect(start.headers.authorization).toBe('Bearer svc-token');
    expect(start.body).toEqual({
      parameters: INPUT.parameters,
      dry_run: false,
      idempotency_key: 'task-1:create',
      requested_for: 'user:default/lee',
    });
    const afters = portal.requests.slice(1).map(r => r.query.get('after'));
    expect(afters.slice(0, 4)).toEqual(['0', '2', '2', '3']);
    expect(logged(logger, 'info')).toEqual(
      expect.arrayContaining([
        'run started',
        '[render] render: started',
        '[push] pushed 12 files',
        'run succeeded in 1.2s',
      ]),
    );
    expect(ctx.output).toHaveBeenCalledWith('repoUrl', SUCCEEDED.repo_url);
    expect(ctx.output).toHaveBeenCalledWith('pullRequestUrl', SUCCEEDED.pull_request_url);
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'component:default/ledger');
    expect(ctx.output).toHaveBeenCalledWith('runUrl', aRun().run_url);
  });

  it('uses the idempotency key the step gives', async () => {
    portal = await startFakePortal(scriptedPortal([{ run: SUCCEEDED }]));
    const { ctx } = contextFor({ ...INPUT, idempotencyKey: 'ledger-once' });

    await actionFor(portal.baseUrl).handler(ctx);

    expect(portal.requests[0]!.body?.idempotency_key).toBe('ledger-once');
  });

  it('fails with a clear message when the portal cannot be reached', async () => {
    const closedPort = await closedPortUrl();
    const { ctx, logger } = contextFor();

    await expect(actionFor(closedPort).handler(ctx)).rejects.toThrow(
      `Cannot reach the platform portal at ${closedPort}: connect ECONNREFUSED`,
    );
    expect(logged(logger, 'warn')).toHaveLength(2); // three attempts, as FAST allows
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('names each bad field when the portal refuses the parameters', async () => {
    portal = await startFakePortal(() => ({
      status: 400,
      body: portalError('invalid', "parameters.name: 'Ledger' does not match '^[a-z0-9]'", {
        'parameters.name': ["'Ledger' does not match '^[a-z0-9]'"],
        'parameters.owner': ['unknown team'],
      }),
    }));
    const { ctx } = contextFor();

    const failure = actionFor(portal.baseUrl).handler(ctx);

    await expect(failure).rejects.toThrow(
      "parameters.name: 'Ledger' does not match '^[a-z0-9]' (parameters.owner: unknown team)",
    );
    await expect(failure).rejects.toMatchObject({
      status: 400,
      fields: { 'parameters.owner': ['unknown team'] },
    });
    expect(portal.requests).toHaveLength(1); // a 400 is not retried
  });

  it('says when the name is taken (409)', async () => {
    portal = await startFakePortal(() => ({
      status: 409,
      body: portalError('conflict', "A service named 'ledger' already exists.", {
        'parameters.name': ['already taken'],
      }),
    }));
    const { ctx } = contextFor();

    await expect(actionFor(portal.baseUrl).handler(ctx)).rejects.toThrow(
      "A service named 'ledger' already exists. (parameters.name: already taken)",
    );
  });

  it("fails the task with the portal's message when the run fails at a step", async () => {
    portal = await startFakePortal(
      scriptedPortal([
        { run: { state: 'running', current_step: 'create_repository' } },
        {
          run: {
            state: 'failed',
            current_step: 'create_repository',
            error: 'create_repository: the repository payments/ledger already exists',
          },
          log: [
            line(
              7,
              'create_repository',
              'create_repository: failed: the repository payments/ledger already exists',
              'error',
            ),
          ],
        },
      ]),
    );
    const { ctx, logger } = contextFor();

    await expect(actionFor(portal.baseUrl).handler(ctx)).rejects.toThrow(
      `Golden-path run ${aRun().id} failed: create_repository: the repository payments/ledger already exists (${aRun().run_url})`,
    );
    expect(logged(logger, 'error')).toContain(
      '[create_repository] create_repository: failed: the repository payments/ledger already exists',
    );
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('keeps polling through a portal restart', async () => {
    const script = scriptedPortal([{ run: { state: 'running' } }, { run: SUCCEEDED }]);
    let gets = 0;
    portal = await startFakePortal(request =>
      request.method === 'GET' && ++gets === 1
        ? { status: 503, body: portalError('unavailable', 'restarting') }
        : script(request),
    );
    const { ctx, logger } = contextFor();

    await actionFor(portal.baseUrl).handler(ctx);

    expect(logged(logger, 'warn')[0]).toContain('restarting');
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'component:default/ledger');
  });

  it('resumes waiting on the same run after a restart instead of starting another', async () => {
    portal = await startFakePortal(
      scriptedPortal([{ run: { state: 'running' } }, { run: { state: 'running' } }, { run: SUCCEEDED }]),
    );
    const store = checkpointStore();
    const action = actionFor(portal.baseUrl);
    const crash = new AbortController();
    const first = contextFor();
    const firstAttempt = action.handler({ ...first.ctx, checkpoint: store.checkpoint, signal: crash.signal });
    await waitFor(() => portal!.requests.some(r => r.method === 'GET'));
    crash.abort(); // the scaffolder stops while the run goes on
    await expect(firstAttempt).rejects.toThrow();

    const second = contextFor();
    await action.handler({ ...second.ctx, checkpoint: store.checkpoint });

    expect(portal.requests.filter(r => r.method === 'POST')).toHaveLength(1);
    expect(store.saved.get('golden-path-run')).toEqual({ runId: aRun().id, runUrl: aRun().run_url });
    expect(logged(second.logger, 'info')[0]).toBe(
      `Resuming run ${aRun().id}, started before the scaffolder restarted: ${aRun().run_url}`,
    );
    expect(second.ctx.output).toHaveBeenCalledWith('repoUrl', SUCCEEDED.repo_url);
  });

  it('retries a run that failed before the task was resumed, from its failed step', async () => {
    const store = checkpointStore();
    store.saved.set('golden-path-run', { runId: aRun().id, runUrl: aRun().run_url });
    let retried = false;
    portal = await startFakePortal(request => {
      if (request.path.endsWith('/retry')) {
        retried = true;
        return { status: 202, body: aRun({ state: 'pending' }) };
      }
      const run = retried ? aRun(SUCCEEDED) : aRun({ state: 'failed', error: 'push: remote hung up' });
      return { status: 200, body: runWithLog(run, [], request) };
    });
    const { ctx, logger } = contextFor();

    await actionFor(portal.baseUrl).handler({ ...ctx, checkpoint: store.checkpoint });

    expect(portal.requests.map(r => `${r.method} ${r.path.split('/').pop()}`)).not.toContain('POST runs');
    expect(logged(logger, 'warn')).toContain(
      `Run ${aRun().id} had failed (push: remote hung up); asking the portal to retry it from that step`,
    );
    expect(ctx.output).toHaveBeenCalledWith('repoUrl', SUCCEEDED.repo_url);
  });

  it('stops waiting at the timeout and says the run goes on', async () => {
    portal = await startFakePortal(scriptedPortal([{ run: { state: 'running', current_step: 'push' } }]));
    const { ctx } = contextFor({ ...INPUT, timeoutMinutes: 0.0005 });

    await expect(actionFor(portal.baseUrl).handler(ctx)).rejects.toThrow(
      `Stopped waiting for golden-path run ${aRun().id}: it is still running at step push.`,
    );
  });

  it('previews through the portal in a dry run and creates nothing', async () => {
    portal = await startFakePortal(() => ({
      status: 200,
      body: { dry_run: true, files: [{ path: 'README.md', size: 8, content: '# ledger', truncated: false }] },
    }));
    const { ctx } = contextFor();

    await actionFor(portal.baseUrl).handler({ ...ctx, isDryRun: true });

    expect(portal.requests).toHaveLength(1);
    expect(portal.requests[0]!.body?.dry_run).toBe(true);
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'component:default/ledger');
  });
});

async function waitFor(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
