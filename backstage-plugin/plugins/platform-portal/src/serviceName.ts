import type { Entity } from '@backstage/catalog-model';

/** Set on a component whose portal service has another name than the entity. */
export const SERVICE_NAME_ANNOTATION = 'platform-portal/service-name';

/** The portal's name for the entity's service: the annotation, else the entity's name. */
export function portalServiceName(entity: Entity): string {
  return entity.metadata.annotations?.[SERVICE_NAME_ANNOTATION] ?? entity.metadata.name;
}

/** For `<EntitySwitch.Case if={isPlatformPortalService}>`: components the portal knows about. */
export function isPlatformPortalService(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return (
    entity.kind.toLowerCase() === 'component' &&
    ('platform-portal/tier' in annotations || SERVICE_NAME_ANNOTATION in annotations)
  );
}
