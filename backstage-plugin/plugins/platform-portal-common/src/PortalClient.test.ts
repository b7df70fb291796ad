import { PortalClient } from './PortalClient';
import { PortalError } from './errors';

type Call = { url: string; init: RequestInit | undefined };

function clientAnswering(status: number, body: string, calls: Call[] = []) {
  return new PortalClient({
    baseUrl: 'https://backstage.test/api/proxy/platform-portal/',
    fetch: async (url, init) => {
      calls.push({ url, init });
      return new Response(body, {
        status,
        statusText: 'Status',
        headers: { 'Content-Type': 'application/json' },
      });
    },
  });
}

describe('PortalClient', () => {
  it('reads through a proxy route without adding a token of its own', async () => {
    const calls: Call[] = [];
    const client = clientAnswering(200, JSON.stringify({ count: 0, results: [] }), calls);

    await client.openIncidents('payments api');

    expect(calls[0]!.url).toBe(
      'https://backstage.test/api/proxy/platform-portal/api/v1/incidents?service=payments+api&state=open',
    );
    expect(new Headers(calls[0]!.init?.headers).has('Authorization')).toBe(false);
  });

  it('sends the service token and tells a new run from one started before', async () => {
    const calls: Call[] = [];
    const client = new PortalClient({
      baseUrl: 'http://portal.test',
      token: 'secret',
      fetch: async (url, init) => {
        calls.push({ url, init });
        return new Response(JSON.stringify({ id: 'r1' }), { status: calls.length === 1 ? 202 : 200 });
      },
    });

    const first = await client.startRun('python-http-service', {
      parameters: { name: 'x' },
      idempotencyKey: 'k',
    });
    const again = await client.startRun('python-http-service', {
      parameters: { name: 'x' },
      idempotencyKey: 'k',
    });

    expect([first.created, again.created]).toEqual([true, false]);
    expect(new Headers(calls[0]!.init?.headers).get('Authorization')).toBe('Bearer secret');
    expect(JSON.parse(calls[0]!.init?.body as string)).toEqual({
      parameters: { name: 'x' },
      dry_run: false,
      idempotency_key: 'k',
    });
  });

  it("turns the portal's error body into an error naming the fields", async () => {
    const body = {
      error: {
        code: 'invalid',
        message: 'Bad input.',
        fields: { 'parameters.name': ['too long', 'bad pattern'] },
      },
    };

    const failure = clientAnswering(400, JSON.stringify(body)).getRun('r1');

    await expect(failure).rejects.toThrow('Bad input. (parameters.name: too long; bad pattern)');
    await expect(failure).rejects.toMatchObject({ status: 400, code: 'invalid', retryable: false });
  });

  it('describes an answer that is not the portal speaking, and marks a 502 as worth retrying', async () => {
    const failure = clientAnswering(502, '<html>Bad Gateway</html>').sloStatus('ledger');

    await expect(failure).rejects.toThrow(
      'The platform portal answered 502 Status: <html>Bad Gateway</html>',
    );
    await expect(failure).rejects.toMatchObject({ retryable: true });
  });

  it('knows a 404 means not available', async () => {
    const error = await clientAnswering(404, '{"error":{"code":"not_found","message":"Not found."}}')
      .serviceCost('ledger')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PortalError);
    expect((error as PortalError).notFound).toBe(true);
  });
});
