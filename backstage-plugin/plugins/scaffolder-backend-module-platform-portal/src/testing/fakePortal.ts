import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Run, RunLogLine, RunWithLog } from '@platform-portal/plugin-platform-portal-common';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
}

export interface FakePortal {
  baseUrl: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port that answers like the portal, as the test says. */
export async function startFakePortal(route: (request: FakeRequest) => FakeResponse | Promise<FakeResponse>) {
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
    requests.push(request);
    const reply = await route(request);
    res.writeHead(reply.status, { 'Content-Type': 'application/json' });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const portal: FakePortal = {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
  return portal;
}

/** The portal's error body. */
export function portalError(code: string, message: string, fields: Record<string, string[]> = {}) {
  return { error: { code, message, fields } };
}

/** A run as the portal serves it, with the given changes. */
export function aRun(overrides: Partial<Run> = {}): Run {
  return {
    id: '6f1c1c9e-3a2b-4c55-9d57-0c6a2b1f0e11',
    golden_path: 'python-http-service',
    golden_path_version: '1.0.0',
    service_name: 'ledger',
    owner: 'payments',
    requested_by: 'backstage',
    requested_for: 'user:default/mock',
    state: 'pending',
    current_step: '',
    error: '',
    repo_url: '',
    pull_request_url: '',
    entity_ref: '',
    run_url: 'http://portal.test/api/v1/scaffolder/runs/6f1c1c9e-3a2b-4c55-9d57-0c6a2b1f0e11',
    status_url: 'http://portal.test/api/v1/scaffolder/runs/6f1c1c9e-3a2b-4c55-9d57-0c6a2b1f0e11',
    created_at: '2026-11-24T10:00:00Z',
    started_at: null,
    finished_at: null,
    duration_seconds: null,
    steps: [],
    ...overrides,
  };
}

/** The run with the lines of `log` newer than the request's `after`, as GET .../runs/{id}?after= answers. */
export function runWithLog(run: Run, log: RunLogLine[], request: FakeRequest): RunWithLog {
  const after = Number(request.query.get('after') ?? '0');
  return { ...run, log: log.filter(line => line.id > after) };
}

/** A log line. */
export function line(id: number, step: string, message: string, level = 'info'): RunLogLine {
  return { id, created_at: '2026-11-24T10:00:00Z', step, level, message };
}

/** Polling and retry pauses short enough for a unit test. */
export const FAST = {
  polling: { initialDelayMs: 5, maxDelayMs: 20, factor: 2, maxConsecutiveErrors: 3 },
  startRetry: { attempts: 3, initialDelayMs: 5 },
};

/** The URL of a loopback port that nothing listens on. */
export async function closedPortUrl(): Promise<string> {
  const portal = await startFakePortal(() => ({ status: 500 }));
  await portal.close();
  return portal.baseUrl;
}
