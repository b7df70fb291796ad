export interface Config {
  platformPortal?: {
    /**
     * The Backstage proxy route that forwards to the portal (default /platform-portal, read as
     * /api/proxy/platform-portal/api/v1/...). The route adds the portal's service token.
     * @visibility frontend
     */
    proxyPath?: string;
  };
}
