import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockServices } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { PortalClient } from '@platform-portal/plugin-platform-portal-common';
import { closedPortUrl, portalError, startFakePortal } from '../testing/fakePortal';
import type { FakePortal } from '../testing/fakePortal';
import { createGoldenPathDryRunAction } from './goldenPathDryRun';

type DryRunInput = Parameters<ReturnType<typeof createGoldenPathDryRunAction>['handler']>[0]['input'];

const FILES = [
  { path: 'README.md', size: 9, content: '# ledger\n', truncated: false },
  { path: 'src/ledger/app.py', size: 20, content: 'app = make_app()\n', truncated: false },
  { path: 'static/logo.png', size: 2048, content: null, truncated: false },
];

let portal: FakePortal | undefined;
let workspace: string;

beforeEach(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'dry-run-'));
});

afterEach(async () => {
  await portal?.close();
  portal = undefined;
  await rm(workspace, { recursive: true, force: true });
});

function run(baseUrl: string, input: DryRunInput) {
  const action = createGoldenPathDryRunAction({ client: new PortalClient({ baseUrl, token: 't' }) });
  const ctx = createMockActionContext<DryRunInput>({
    input,
    workspacePath: workspace,
    logger: mockServices.logger.mock(),
    user: { ref: 'user:default/lee' },
  });
  return { ctx, done: action.handler({ ...ctx, isDryRun: true }) };
}

describe('portal:golden-path:dry-run', () => {
  it('writes the rendered files into the workspace and lists them in the output', async () => {
    portal = await startFakePortal(() => ({ status: 200, body: { dry_run: true, files: FILES } }));

    const { ctx, done } = run(portal.baseUrl, {
      path: 'python-http-service',
      parameters: { name: 'ledger', owner: 'payments' },
    });
    await done;

    expect(portal.requests[0]!.body).toEqual({
      parameters: { name: 'ledger', owner: 'payments' },
      dry_run: true,
      requested_for: 'user:default/lee',
    });
    expect(await readFile(join(workspace, 'src/ledger/app.py'), 'utf8')).toBe('app = make_app()\n');
    expect(await readdir(workspace)).not.toContain('static'); // binary files are listed, not written
    expect(ctx.output).toHaveBeenCalledWith('fileCount', 3);
    expect(ctx.output).toHaveBeenCalledWith('files', [
      { path: 'README.md', size: 9, truncated: false, binary: false },
      { path: 'src/ledger/app.py', size: 20, truncated: false, binary: false },
      { path: 'static/logo.png', size: 2048, truncated: false, binary: true },
    ]);
  });

  it('refuses a file path that leaves the workspace', async () => {
    const escaping = [{ path: '../../etc/cron.d/x', size: 1, content: 'x', truncated: false }];
    portal = await startFakePortal(() => ({ status: 200, body: { dry_run: true, files: escaping } }));

    const { done } = run(portal.baseUrl, { path: 'python-http-service', parameters: { name: 'ledger' } });

    await expect(done).rejects.toThrow(/outside/i);
  });

  it('names the bad fields the portal reports', async () => {
    portal = await startFakePortal(() => ({
      status: 400,
      body: portalError('invalid', 'owner: unknown team', { 'parameters.owner': ['unknown team'] }),
    }));

    const { done } = run(portal.baseUrl, {
      path: 'python-http-service',
      parameters: { name: 'ledger', owner: 'nobody' },
    });

    await expect(done).rejects.toThrow('owner: unknown team (parameters.owner: unknown team)');
  });

  it('says which golden path does not exist', async () => {
    portal = await startFakePortal(() => ({
      status: 404,
      body: portalError('not_found', "No golden path named 'cobol-batch'.", { path: ['not found'] }),
    }));

    const { done } = run(portal.baseUrl, { path: 'cobol-batch', parameters: {} });

    await expect(done).rejects.toThrow("No golden path named 'cobol-batch'. (path: not found)");
  });

  it('fails with a clear message when the portal cannot be reached', async () => {
    const closed = await closedPortUrl();

    const { done } = run(closed, { path: 'python-http-service', parameters: {} });

    await expect(done).rejects.toThrow(`Cannot reach the platform portal at ${closed}: connect ECONNREFUSED`);
  });
});
