/**
 * End to end: a real Backstage backend (scaffolder + catalog, our two modules) runs each template that
 * uses portal:golden-path:run against a running portal, and the new services come back into the
 * catalog through the entity provider. Needs PORTAL_BASE_URL and PORTAL_TOKEN; tests/backstage_plugin/
 * test_e2e.py starts a portal and sets them.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackstage } from './backend';
import type { RunningBackstage } from './backend';
import { findActionTemplates, formValues } from './templates';
import type { ActionTemplate } from './templates';

const PORTAL_BASE_URL = process.env.PORTAL_BASE_URL ?? '';
const PORTAL_TOKEN = process.env.PORTAL_TOKEN ?? '';
const GOLDEN_PATHS_DIR = process.env.GOLDEN_PATHS_DIR ?? resolve(__dirname, '../../../golden_paths');
const RESULT_FILE = process.env.E2E_RESULT_FILE;
const RUN_ID = Date.now().toString(36).slice(-5);

interface TaskEvent {
  type: string;
  body: { message?: string; output?: Record<string, unknown>; error?: { message?: string } };
}

interface Created {
  template: string;
  goldenPath: string;
  name: string;
  taskId: string;
  output: Record<string, unknown>;
}

const templates = findActionTemplates(GOLDEN_PATHS_DIR);
const created: Created[] = [];
let backstage: RunningBackstage;

jest.setTimeout(300_000);

(PORTAL_BASE_URL ? describe : describe.skip)('golden paths through a real Backstage backend', () => {
  beforeAll(async () => {
    backstage = await startBackstage(
      { baseUrl: PORTAL_BASE_URL, token: PORTAL_TOKEN },
      templates.map(t => t.file),
    );
  });

  afterAll(async () => {
    if (RESULT_FILE)
      writeFileSync(RESULT_FILE, JSON.stringify({ templates: templates.map(t => t.file), created }, null, 2));
    await backstage?.stop();
  });

  it('finds templates that use portal:golden-path:run', () => {
    expect(templates.map(t => t.goldenPath)).not.toContain('');
    expect(templates.length).toBeGreaterThan(0);
  });

  it("serves the portal's teams in the catalog through the entity provider", async () => {
    const group = await eventually(
      () => entity('group', 'payments'),
      'group:default/payments in the catalog',
    );
    expect(group.metadata.annotations['backstage.io/managed-by-location']).toBe(
      `url:${PORTAL_BASE_URL.replace(/\/+$/, '')}/api/v1/catalog/entities`,
    );
  });

  it.each(templates.map(t => [t.name, t] as const))(
    'runs the %s template to completion',
    async (_, template) => {
      await eventually(
        () => entity('template', template.name),
        `template:default/${template.name} in the catalog`,
      );
      const name = serviceName(template);

      const taskId = await startTask(template, name);
      const { status, events } = await taskOutcome(taskId);

      const completion = events.find(e => e.type === 'completion');
      const log = events.filter(e => e.type === 'log').map(e => e.body.message ?? '');
      expect({
        status,
        error: completion?.body.error?.message,
        log: status === 'completed' ? [] : log,
      }).toEqual({
        status: 'completed',
        error: undefined,
        log: [],
      });
      expect(log.some(line => line.includes('run started'))).toBe(true); // the portal's log, streamed into the task
      const output = completion!.body.output ?? {};
      const links = (output.links ?? []) as { title?: string; url?: string; entityRef?: string }[];
      expect(links.find(l => l.entityRef)?.entityRef).toBe(`component:default/${name}`);
      expect(links.find(l => l.title === 'Repository')?.url).toMatch(/\S/);
      created.push({ template: template.name, goldenPath: template.goldenPath, name, taskId, output });
    },
  );

  it("previews a template in the editor's dry run through the portal, creating nothing", async () => {
    const template = templates[0]!;
    const name = `${serviceName(template)}-preview`;

    const response = await fetch(`${backstage.baseUrl}/api/scaffolder/v2/dry-run`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        template: template.document,
        values: formValues(template, name),
        directoryContents: [],
      }),
    });
    const result = (await response.json()) as { directoryContents?: { path: string }[]; output?: any };

    expect(response.status).toBe(200);
    expect(result.directoryContents?.length).toBeGreaterThan(3); // the files the golden path would create
    expect(JSON.stringify(result.output)).toContain(`component:default/${name}`);
    const portalAnswer = await fetch(`${PORTAL_BASE_URL}/api/v1/catalog/services/${name}`, {
      headers: { Authorization: `Bearer ${PORTAL_TOKEN}` },
    });
    expect(portalAnswer.status).toBe(404);
  });

  it('brings the new services into the catalog on the next read of the portal', async () => {
    expect(created).toHaveLength(templates.length);
    await backstage.catalogScheduler().triggerTask('platform-portal:refresh');
    for (const service of created) {
      const component = await eventually(
        () => entity('component', service.name),
        `component:default/${service.name}`,
      );
      expect(component.spec.owner).toMatch(/payments/);
    }
  });
});

function serviceName(template: ActionTemplate): string {
  const initials = template.goldenPath
    .split('-')
    .map(word => word[0])
    .join('');
  return `e2e-${initials}-${RUN_ID}`;
}

async function startTask(template: ActionTemplate, name: string): Promise<string> {
  const response = await fetch(`${backstage.baseUrl}/api/scaffolder/v2/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      templateRef: `template:default/${template.name}`,
      values: formValues(template, name),
    }),
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 || !body.id)
    throw new Error(`POST /v2/tasks answered ${response.status}: ${JSON.stringify(body)}`);
  return body.id;
}

async function taskOutcome(taskId: string): Promise<{ status: string; events: TaskEvent[] }> {
  const status = await eventually(
    async () => {
      const task = (await getJson(`/api/scaffolder/v2/tasks/${taskId}`)) as { status: string } | undefined;
      return task && ['completed', 'failed', 'cancelled'].includes(task.status) ? task.status : undefined;
    },
    `task ${taskId} to finish`,
    240_000,
  );
  return {
    status,
    events: ((await getJson(`/api/scaffolder/v2/tasks/${taskId}/events`)) ?? []) as TaskEvent[],
  };
}

async function entity(kind: string, name: string): Promise<any> {
  return getJson(`/api/catalog/entities/by-name/${kind}/default/${name}`);
}

async function getJson(path: string): Promise<unknown> {
  const response = await fetch(`${backstage.baseUrl}${path}`);
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

async function eventually<T>(
  read: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(250);
  }
}
