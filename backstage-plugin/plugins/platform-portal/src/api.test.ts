import { PlatformPortalClient } from './api';

/** jsdom has no Response: answer what the client reads of one. */
function answer(body: unknown): Response {
  return {
    ok: true,
    status: 200,
    statusText: 'OK',
    json: async () => body,
    text: async () => JSON.stringify(body),
  } as Response;
}

describe('PlatformPortalClient', () => {
  it("reads through the Backstage proxy route with the app's fetch", async () => {
    const fetch = jest.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
      answer({ count: 0, results: [] }),
    );
    const client = new PlatformPortalClient({
      discoveryApi: { getBaseUrl: async (plugin: string) => `https://backstage.test/api/${plugin}` },
      fetchApi: { fetch },
    });

    await client.pendingActionRequests('payments-api');

    expect(fetch.mock.calls[0]![0]).toBe(
      'https://backstage.test/api/proxy/platform-portal/api/v1/remediation/action-requests?service=payments-api&state=pending',
    );
  });

  it('uses another proxy route when configured', async () => {
    const fetch = jest.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
      answer({ service: 'x', slos: [] }),
    );
    const client = new PlatformPortalClient({
      discoveryApi: { getBaseUrl: async () => 'https://backstage.test/api/proxy' },
      fetchApi: { fetch },
      proxyPath: '/portal',
    });

    await client.sloStatus('x');

    expect(fetch.mock.calls[0]![0]).toBe(
      'https://backstage.test/api/proxy/portal/api/v1/slo/services/x/status',
    );
  });
});
