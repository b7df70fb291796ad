/**
 * The platform portal's HTTP API for Backstage packages: a typed client, its answers and its error.
 *
 * @packageDocumentation
 */
export { PortalClient } from './PortalClient';
export type { PortalClientOptions } from './PortalClient';
export { PortalError, portalErrorFromResponse, portalUnreachable } from './errors';
export { portalClientFromConfig } from './config';
export type { ConfigReader } from './config';
export * from './types';
