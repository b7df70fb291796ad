import { PortalClient } from './PortalClient';

/** The part of Backstage's `Config` this package reads (kept structural so the browser build needs no backend code). */
export interface ConfigReader {
  getString(key: string): string;
  getOptionalString(key: string): string | undefined;
  getOptionalNumber(key: string): number | undefined;
}

/** Build a client from `platformPortal.baseUrl`, `platformPortal.token` and `platformPortal.requestTimeoutSeconds`. */
export function portalClientFromConfig(config: ConfigReader): PortalClient {
  const seconds = config.getOptionalNumber('platformPortal.requestTimeoutSeconds');
  return new PortalClient({
    baseUrl: config.getString('platformPortal.baseUrl'),
    token: config.getOptionalString('platformPortal.token'),
    requestTimeoutMs: seconds === undefined ? undefined : seconds * 1000,
  });
}
