import { tmpdir } from 'node:os';
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { PortalClient } from '@platform-portal/plugin-platform-portal-common';
import type { JsonValue, ResourceRequest, RunLogLine } from '@platform-portal/plugin-platform-portal-common';
import { FAST, line, portalError, startFakePortal } from '../testing/fakePortal';
import type { FakePortal, FakeRequest, FakeResponse } from '../testing/fakePortal';
import { createResourceRequestAction } from './resourceRequest';

const ID = '0b6f3c52-1f7a-4a39-9e0e-3d4b5f6a7c81';
const URL = `http://portal.test/api/v1/infra/requests/${ID}`;
const INPUT = {
  kind: 'postgresql' as const,
  name: 'ledger-db',
  service: 'component:default/payments-api',
  environment: 'prod',
  parameters: { size: 'medium' },
};

function aRequest(overrides: Partial<ResourceRequest> = {}): ResourceRequest {
  return {
    id: ID,
    kind: 'postgresql',
    name: 'ledger-db',
    resource_name: 'ledger-db-prod',
    service: 'payments-api',
    environment: 'prod',
    owner: 'payments',
    parameters: { size: 'medium', backup: true },
    renderer: 'crossplane',
    requested_by: 'backstage',
    requested_for: 'user:default/lee',
    state: 'pending',
    current_step: '',
    error: '',
    approval_reasons: [],
    approval_url: '',
    repository: '',
    commit: '',
    pull_request_url: '',
    connection_secret: {},
    entity_ref: '',
    run_url: URL,
    status_url: URL,
    created_at: '2026-11-25T10:00:00Z',
    started_at: null,
    finished_at: null,
    duration_seconds: null,
    steps: [],
    ...overrides,
  };
}

const APPROVAL = {
  state: 'awaiting_approval' as const,
  current_step: 'approval',
  approval_reasons: ["production resources need an SRE's approval"],
  approval_url: 'http://portal.test/api/v1/remediation/action-requests/7',
};
const SUCCEEDED = {
  state: 'succeeded' as const,
  entity_ref: 'resource:default/ledger-db-prod',
  commit: 'abc123',
  approval_url: APPROVAL.approval_url,
  connection_secret: {
    kubernetes_secret: 'payments-prod/ledger-db-prod-connection',
    secret_store_path: 'platform/payments/prod/ledger-db-prod',
  },
};

let portal: FakePortal | undefined;

afterEach(async () => {
  await portal?.close();
  portal = undefined;
});

/** A portal whose request goes through `states` one GET at a time, with each state's log lines. */
function scripted(states: { request: Partial<ResourceRequest>; log?: RunLogLine[] }[]) {
  let reads = 0;
  const log: RunLogLine[] = [];
  return (request: FakeRequest): FakeResponse => {
    if (request.method === 'POST' && request.path === '/api/v1/infra/requests') {
      return { status: 202, body: aRequest() };
    }
    if (request.method === 'POST' && request.path.endsWith('/retry')) {
      return { status: 202, body: aRequest({ state: 'pending' }) };
    }
    const step = states[Math.min(reads, states.length - 1)]!;
    if (reads < states.length) log.push(...(step.log ?? []));
    reads++;
    const after = Number(request.query.get('after') ?? '0');
    return { status: 200, body: { ...aRequest(step.request), log: log.filter(l => l.id > after) } };
  };
}

function actionFor(baseUrl: string) {
  return createResourceRequestAction({ client: new PortalClient({ baseUrl, token: 'svc-token' }), ...FAST });
}

type Input = Parameters<ReturnType<typeof createResourceRequestAction>['handler']>[0]['input'];

function contextFor(input: Input = INPUT) {
  const logger = mockServices.logger.mock();
  const ctx = createMockActionContext<Input>({
    input,
    logger,
    task: { id: 'task-9' },
    workspacePath: tmpdir(),
    user: { ref: 'user:default/lee' },
  });
  return { ctx: { ...ctx, step: { id: 'request' } }, logger };
}

function logged(logger: ReturnType<typeof mockServices.logger.mock>, level: 'info' | 'warn' | 'error') {
  return logger[level].mock.calls.map(call => String(call[0]));
}

describe('platform-portal:resource:request', () => {
  it('requests the resource, waits through its approval and outputs the catalog entity and secret reference', async () => {
    portal = await startFakePortal(
      scripted([
        { request: { state: 'running', current_step: 'validate' }, log: [line(1, '', 'started')] },
        { request: APPROVAL, log: [line(2, 'approval', 'approval requested')] },
        { request: APPROVAL },
        { request: APPROVAL },
        { request: SUCCEEDED, log: [line(3, 'approval', 'approved by sam'), line(4, '', 'succeeded')] },
      ]),
    );
    const { ctx, logger } = contextFor();

    await actionFor(portal.baseUrl).handler(ctx);

    const start = portal.requests[0]!;
    expect(start.path).toBe('/api/v1/infra/requests');
    expect(start.headers.authorization).toBe('Bearer svc-token');
    expect(start.body).toEqual({
      kind: 'postgresql',
      name: 'ledger-db',
      service: 'component:default/payments-api',
      environment: 'prod',
      parameters: { size: 'medium' },
      idempotency_key: 'task-9:request',
      requested_for: 'user:default/lee',
    });
    const waiting = logged(logger, 'info').filter(m => m.startsWith('Waiting for approval'));
    expect(waiting).toEqual([
      "Waiting for approval (production resources need an SRE's approval): " + APPROVAL.approval_url,
    ]);
    expect(logged(logger, 'info')).toEqual(expect.arrayContaining(['[approval] approved by sam']));
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'resource:default/ledger-db-prod');
    expect(ctx.output).toHaveBeenCalledWith('connectionSecret', 'payments-prod/ledger-db-prod-connection');
    expect(ctx.output).toHaveBeenCalledWith('approvalUrl', APPROVAL.approval_url);
    expect(ctx.output).toHaveBeenCalledWith('requestId', ID);
  });

  it('fails the task with the reason when the approval is refused', async () => {
    portal = await startFakePortal(
      scripted([
        { request: APPROVAL },
        {
          request: {
            state: 'rejected',
            current_step: 'approval',
            error: 'approval rejected: use the shared cluster',
          },
          log: [
            line(5, 'approval', 'approval rejected: use the shared cluster; nothing was created', 'error'),
          ],
        },
      ]),
    );
    const { ctx, logger } = contextFor();

    await expect(actionFor(portal.baseUrl).handler(ctx)).rejects.toThrow(
      `Resource request ${ID} was not approved: approval rejected: use the shared cluster (${URL})`,
    );
    expect(logged(logger, 'error')).toEqual([
      '[approval] approval rejected: use the shared cluster; nothing was created',
    ]);
    expect(ctx.output).not.toHaveBeenCalled();
  });

  it('answers a bad request with the fields the portal names, without retrying it', async () => {
    portal = await startFakePortal(() => ({
      status: 400,
      body: portalError('invalid', 'parameters.backup: must be True in production', {
        'parameters.backup': ['must be True in production'],
      }),
    }));
    const { ctx } = contextFor({ ...INPUT, parameters: { backup: false } });

    await expect(actionFor(portal.baseUrl).handler(ctx)).rejects.toThrow(
      'parameters.backup: must be True in production',
    );
    expect(portal.requests).toHaveLength(1);
  });

  it('waits on the same request after a restart and retries it when it had failed', async () => {
    portal = await startFakePortal(
      scripted([
        { request: { state: 'failed', current_step: 'deliver', error: 'deliver: git push refused' } },
        { request: { state: 'running', current_step: 'deliver' } },
        { request: SUCCEEDED },
      ]),
    );
    const { ctx } = contextFor();
    const saved = new Map<string, JsonValue>([['resource-request', { requestId: ID, runUrl: URL }]]);
    const resumed = {
      ...ctx,
      checkpoint: async <T>({ key, fn }: { key: string; fn: () => Promise<T> | T }): Promise<T> =>
        saved.has(key) ? (saved.get(key) as T) : fn(),
    };

    await actionFor(portal.baseUrl).handler(resumed);

    const posts = portal.requests.filter(r => r.method === 'POST').map(r => r.path);
    expect(posts).toEqual([`/api/v1/infra/requests/${ID}/retry`]);
    expect(ctx.output).toHaveBeenCalledWith('entityRef', 'resource:default/ledger-db-prod');
  });
});
