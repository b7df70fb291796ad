/**
 * The platform portal's entities in the Backstage catalog.
 *
 * @packageDocumentation
 */
export { catalogModulePlatformPortal as default, DEFAULT_SCHEDULE } from './module';
export { PlatformPortalEntityProvider, PROVIDER_NAME } from './providers/PlatformPortalEntityProvider';
export type { PlatformPortalEntityProviderOptions } from './providers/PlatformPortalEntityProvider';
