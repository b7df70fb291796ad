import type { LoggerService, SchedulerServiceTaskRunner } from '@backstage/backend-plugin-api';
import { ANNOTATION_LOCATION, ANNOTATION_ORIGIN_LOCATION } from '@backstage/catalog-model';
import type { Entity } from '@backstage/catalog-model';
import type { EntityProvider, EntityProviderConnection } from '@backstage/plugin-catalog-node';
import type { PortalClient, PortalEntity } from '@platform-portal/plugin-platform-portal-common';

export const PROVIDER_NAME = 'platform-portal';

export interface PlatformPortalEntityProviderOptions {
  client: PortalClient;
  logger: LoggerService;
  /** When to read the portal; the scheduler makes sure one backend instance does it at a time. */
  taskRunner: SchedulerServiceTaskRunner;
}

/**
 * Reads every entity the portal serves (`GET /api/v1/catalog/entities`: groups, users, systems,
 * resources, components) and hands the catalog the whole set each time, so what the portal no
 * longer has leaves the catalog too.
 */
export class PlatformPortalEntityProvider implements EntityProvider {
  private connection: EntityProviderConnection | undefined;

  constructor(private readonly options: PlatformPortalEntityProviderOptions) {}

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.options.taskRunner.run({ id: `${PROVIDER_NAME}:refresh`, fn: () => this.refresh() });
  }

  /** Read the portal and replace this provider's entities; on failure the catalog keeps the last set. */
  async refresh(): Promise<void> {
    if (!this.connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    const location = `url:${this.options.client.baseUrl}/api/v1/catalog/entities`;
    const read = await this.options.client.catalogEntities();
    const entities = read
      .filter(entity => this.isEntity(entity))
      .map(entity => withLocation(entity, location));
    await this.connection.applyMutation({
      type: 'full',
      entities: entities.map(entity => ({ entity, locationKey: PROVIDER_NAME })),
    });
    this.options.logger.info(`Read ${entities.length} entities from the platform portal`);
  }

  private isEntity(entity: PortalEntity): boolean {
    const ok = typeof entity?.kind === 'string' && typeof entity.metadata?.name === 'string';
    if (!ok)
      this.options.logger.warn(
        `Skipped an entity without kind or metadata.name: ${JSON.stringify(entity).slice(0, 200)}`,
      );
    return ok;
  }
}

function withLocation(entity: PortalEntity, location: string): Entity {
  return {
    ...entity,
    metadata: {
      ...entity.metadata,
      annotations: {
        ...entity.metadata.annotations,
        [ANNOTATION_LOCATION]: location,
        [ANNOTATION_ORIGIN_LOCATION]: location,
      },
    },
  } as Entity;
}
