/**
 * End to end: a real Backstage backend (scaffolder + catalog, our two modules) runs each template that
 * uses portal:golden-path:run against a running portal, and the new services come back into the
 * catalog through the entity provider. It also runs the resource-request template (the variant with
 * platform-portal:resource:request) once per resource kind for a demo service in dev, and the new
 * Resources come back into the catalog with the service depending on them. Needs PORTAL_BASE_URL and
 * PORTAL_TOKEN; tests/backstage_plugin/test_e2e.py starts a portal and sets them.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBackstage } from './backend';
import type { RunningBackstage } from './backend';
import { findActionTemplates, findResourceTemplates, formValues, resourceFormValues } from './templates';
import type { ActionTemplate } from './templates';

const PORTAL_BASE_URL = process.env.PORTAL_BASE_URL ?? '';
const PORTAL_TOKEN = process.env.PORTAL_TOKEN ?? '';
const GOLDEN_PATHS_DIR = process.env.GOLDEN_PATHS_DIR ?? resolve(__dirname, '../../../golden_paths');
const RESULT_FILE = process.env.E2E_RESULT_FILE;
const RUN_ID = Date.now().toString(36).slice(-5);
/** A demo service (owned by payments) and an environment whose small requests need no approval. */
const RESOURCE_SERVICE = 'payments-api';
const RESOURCE_ENVIRONMENT = 'dev';

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

interface Requested {
  template: string;
  kind: string;
  name: string;
  service: string;
  environment: string;
  taskId: string;
  /** The task's output: the template's links, and the action's outputs (entityRef, requestId, ...). */
  output: Record<string, unknown>;
  request: Record<string, unknown>;
}

const templates = findActionTemplates(GOLDEN_PATHS_DIR);
const created: Created[] = [];
const resourceTemplates = findResourceTemplates(GOLDEN_PATHS_DIR);
/** Each resource-request template with each kind its form offers. */
const resourceRuns = resourceTemplates.flatMap((template, i) =>
  template.kinds.map(kind => [kind, template.name, template, i] as const),
);
const requested: Requested[] = [];
let backstage: RunningBackstage;

jest.setTimeout(300_000);

(PORTAL_BASE_URL ? describe : describe.skip)('golden paths through a real Backstage backend', () => {
  beforeAll(async () => {
    backstage = await startBackstage(
      { baseUrl: PORTAL_BASE_URL, token: PORTAL_TOKEN },
      [...templates, ...resourceTemplates].map(t => t.file),
    );
  });

  afterAll(async () => {
    if (RESULT_FILE)
      writeFileSync(
        RESULT_FILE,
        JSON.stringify(
          {
            templates: templates.map(t => t.file),
            created,
            resourceTemplates: resourceTemplates.map(t => t.file),
            resourceKinds: Object.fromEntries(resourceTemplates.map(t => [t.name, t.kinds])),
            requested,
          },
          null,
          2,
        ),
      );
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

  it('finds resource-request templates that use platform-portal:resource:request, each offering every kind', async () => {
    expect(resourceTemplates.length).toBeGreaterThan(0);
    const kinds = (await portalJson('/api/v1/infra/kinds')) as { name: string }[];
    for (const template of resourceTemplates)
      expect({ [template.name]: [...template.kinds].sort() }).toEqual({
        [template.name]: kinds.map(k => k.name).sort(),
      });
  });

  it.each(resourceRuns)(
    `requests a %s for ${RESOURCE_SERVICE} in ${RESOURCE_ENVIRONMENT} through the %s template`,
    async (kind, _, template, index) => {
      await eventually(
        () => entity('template', template.name),
        `template:default/${template.name} in the catalog`,
      );
      const name = `e2e-${kind}-${RUN_ID}${index ? `-${index}` : ''}`;
      const resourceName = `${name}-${RESOURCE_ENVIRONMENT}`;
      const values = resourceFormValues(template, {
        kind,
        name,
        service: `component:default/${RESOURCE_SERVICE}`, // what the form's EntityPicker gives
        environment: RESOURCE_ENVIRONMENT,
      });

      const taskId = await startTaskWith(template.name, values);
      const { status, events } = await taskOutcome(taskId);

      const completion = events.find(e => e.type === 'completion');
      const log = events.filter(e => e.type === 'log').map(e => e.body.message ?? '');
      expect({
        status,
        error: completion?.body.error?.message,
        log: status === 'completed' ? [] : log,
      }).toEqual({ status: 'completed', error: undefined, log: [] });
      // The portal's request log, streamed into the task by the action.
      expect(log.some(line => line.includes(`registered resource:default/${resourceName}`))).toBe(true);
      const output = completion!.body.output ?? {};
      const links = (output.links ?? []) as { title?: string; url?: string; entityRef?: string }[];
      expect(links.find(l => l.entityRef)?.entityRef).toBe(`resource:default/${resourceName}`);
      const statusUrl = links.find(l => l.title === 'Request status and log')?.url ?? '';
      expect(statusUrl).toMatch(new RegExp(`/api/v1/infra/requests/[-0-9a-f]{36}$`));
      // The link leads to the request in the portal, which says it is done, without an approval.
      const requestId = statusUrl.split('/').pop()!;
      const request = (await portalJson(`/api/v1/infra/requests/${requestId}`)) as Record<string, unknown>;
      expect({
        state: request.state,
        kind: request.kind,
        entity_ref: request.entity_ref,
        approval_url: request.approval_url,
      }).toEqual({
        state: 'succeeded',
        kind,
        entity_ref: `resource:default/${resourceName}`,
        approval_url: '',
      });
      delete request.log;
      requested.push({
        template: template.name,
        kind,
        name,
        service: RESOURCE_SERVICE,
        environment: RESOURCE_ENVIRONMENT,
        taskId,
        output,
        request,
      });
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

  it('brings the requested resources into the catalog, with the service depending on each', async () => {
    expect(requested.map(r => `${r.template} ${r.kind}`)).toEqual(resourceRuns.map(([k, t]) => `${t} ${k}`));
    await backstage.catalogScheduler().triggerTask('platform-portal:refresh');
    const refs = requested.map(r => String(r.request.entity_ref));
    for (const ref of refs) {
      const [kind, name] = [ref.split(':')[0]!, ref.split('/').pop()!];
      const resource = await eventually(() => entity(kind, name), ref);
      expect(resource.spec.owner).toMatch(/payments/);
    }
    // Relations are stitched after processing: wait until the service's entity shows every one.
    const service = await eventually(
      async () => {
        const component = await entity('component', RESOURCE_SERVICE);
        const relations = (component?.relations ?? []) as { type: string; targetRef: string }[];
        const targets = new Set(relations.filter(r => r.type === 'dependsOn').map(r => r.targetRef));
        return refs.every(ref => targets.has(ref)) ? component : undefined;
      },
      `component:default/${RESOURCE_SERVICE} dependsOn ${refs.join(', ')}`,
    );
    expect(service.spec.dependsOn).toEqual(expect.arrayContaining(refs));
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
  return startTaskWith(template.name, formValues(template, name));
}

async function startTaskWith(templateName: string, values: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${backstage.baseUrl}/api/scaffolder/v2/tasks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ templateRef: `template:default/${templateName}`, values }),
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

async function portalJson(path: string): Promise<unknown> {
  const response = await fetch(`${PORTAL_BASE_URL.replace(/\/+$/, '')}${path}`, {
    headers: { Authorization: `Bearer ${PORTAL_TOKEN}` },
  });
  if (!response.ok)
    throw new Error(`GET ${path} on the portal answered ${response.status}: ${await response.text()}`);
  return response.json();
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
