import { mockServices } from '@backstage/backend-test-utils';
import type { SchedulerServiceTaskFunction } from '@backstage/backend-plugin-api';
import type { EntityProviderConnection } from '@backstage/plugin-catalog-node';
import { PortalClient } from '@platform-portal/plugin-platform-portal-common';
import { PlatformPortalEntityProvider } from './PlatformPortalEntityProvider';

const GROUP = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Group',
  metadata: { name: 'payments' },
  spec: { type: 'team', children: [] },
};
const COMPONENT = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments-api', annotations: { 'platform-portal/tier': '1' } },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/payments' },
};

function setUp(answer: () => Response | Promise<Response>) {
  let scheduled: SchedulerServiceTaskFunction | undefined;
  const applyMutation = jest.fn<Promise<void>, Parameters<EntityProviderConnection['applyMutation']>>(
    async () => {},
  );
  const logger = mockServices.logger.mock();
  const provider = new PlatformPortalEntityProvider({
    client: new PortalClient({ baseUrl: 'http://portal.test/', token: 't', fetch: async () => answer() }),
    logger,
    taskRunner: {
      run: async task => {
        scheduled = task.fn;
      },
    },
  });
  const connection: EntityProviderConnection = { applyMutation, refresh: jest.fn() };
  return {
    provider,
    connection,
    applyMutation,
    logger,
    tick: () => scheduled!(new AbortController().signal),
  };
}

describe('PlatformPortalEntityProvider', () => {
  it("applies the portal's entities as a full mutation with the managed-by annotations", async () => {
    const { provider, connection, applyMutation, tick } = setUp(() =>
      Response.json({ items: [GROUP, COMPONENT] }),
    );
    await provider.connect(connection);

    await tick();

    const location = 'url:http://portal.test/api/v1/catalog/entities';
    expect(applyMutation).toHaveBeenCalledWith({
      type: 'full',
      entities: [
        {
          locationKey: 'platform-portal',
          entity: {
            ...GROUP,
            metadata: {
              name: 'payments',
              annotations: {
                'backstage.io/managed-by-location': location,
                'backstage.io/managed-by-origin-location': location,
              },
            },
          },
        },
        {
          locationKey: 'platform-portal',
          entity: {
            ...COMPONENT,
            metadata: {
              name: 'payments-api',
              annotations: {
                'platform-portal/tier': '1',
                'backstage.io/managed-by-location': location,
                'backstage.io/managed-by-origin-location': location,
              },
            },
          },
        },
      ],
    });
  });

  it('leaves the catalog as it was when the portal cannot be read', async () => {
    const { provider, connection, applyMutation, tick } = setUp(() => {
      throw new TypeError('fetch failed');
    });
    await provider.connect(connection);

    await expect(tick()).rejects.toThrow(
      'Cannot reach the platform portal at http://portal.test: fetch failed',
    );
    expect(applyMutation).not.toHaveBeenCalled();
  });

  it('skips what is not an entity and says so', async () => {
    const { provider, connection, applyMutation, logger, tick } = setUp(() =>
      Response.json({ items: [GROUP, { kind: 'Group' }] }),
    );
    await provider.connect(connection);

    await tick();

    expect(applyMutation.mock.calls[0]![0]).toMatchObject({
      type: 'full',
      entities: [{ entity: { kind: 'Group' } }],
    });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('Skipped an entity without kind or metadata.name'),
    );
  });

  it('refuses to refresh before the catalog connects it', async () => {
    const { provider } = setUp(() => Response.json({ items: [] }));

    await expect(provider.refresh()).rejects.toThrow('platform-portal is not connected to the catalog yet');
  });
});
