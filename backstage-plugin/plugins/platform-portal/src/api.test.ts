import { PortalError } from '@platform-portal/plugin-platform-portal-common';
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

  describe('delivery reads', () => {
    function delivery(answerWith: () => Promise<Response>) {
      const fetch = jest.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => answerWith());
      const client = new PlatformPortalClient({
        discoveryApi: { getBaseUrl: async (plugin: string) => `https://backstage.test/api/${plugin}` },
        fetchApi: { fetch },
      });
      return { fetch, client };
    }
    const page = { count: 4, next: 'https://portal.test/next', previous: null, results: [{ id: 9 }] };
    const base = 'https://backstage.test/api/proxy/platform-portal';

    it('reads the newest risk assessment, canary judgement and gate evaluation, one of each', async () => {
      const { fetch, client } = delivery(async () => answer(page));

      expect(await client.latestRiskAssessment('payments-api')).toEqual(page);
      await client.latestCanaryJudgement('payments-api');
      await client.latestGateEvaluation('payments api');

      expect(fetch.mock.calls.map(call => call[0])).toEqual([
        `${base}/api/v1/changes/risk?service=payments-api&page_size=1`,
        `${base}/api/v1/delivery/canary/judgements?service=payments-api&page_size=1`,
        `${base}/api/v1/delivery/gates/evaluations?service=payments+api&page_size=1`,
      ]);
      expect(fetch.mock.calls[0]![1]).toMatchObject({
        method: 'GET',
        headers: { Accept: 'application/json' },
      });
    });

    it('asks for the live preview states as repeated parameters', async () => {
      const { fetch, client } = delivery(async () => answer({ count: 0, results: [] }));

      await client.livePreviews('payments-api');

      expect(fetch.mock.calls[0]![0]).toBe(
        `${base}/api/v1/previews/?service=payments-api&state=requested&state=deploying&state=active&state=sleeping&page_size=20`,
      );
    });

    it("turns the portal's error answer into a PortalError with its status and message", async () => {
      const { client } = delivery(
        async () =>
          ({
            ok: false,
            status: 404,
            statusText: 'Not Found',
            json: async () => ({}),
            text: async () => JSON.stringify({ error: { code: 'not_found', message: 'No such page.' } }),
          }) as Response,
      );

      const error = await client.latestGateEvaluation('payments-api').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(PortalError);
      expect(error).toMatchObject({ status: 404, code: 'not_found', message: 'No such page.' });
    });

    it('says the portal cannot be reached when the request gets no answer', async () => {
      const { client } = delivery(async () => {
        throw new TypeError('Failed to fetch');
      });

      const error = await client.livePreviews('payments-api').catch((e: unknown) => e);

      expect(error).toMatchObject({ status: 0, code: 'unreachable' });
      expect((error as Error).message).toContain(base);
    });
  });
});
