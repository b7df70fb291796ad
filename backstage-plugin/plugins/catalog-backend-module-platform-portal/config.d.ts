import type { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Where the platform portal is and how Backstage's backend signs in to it. */
  platformPortal: {
    /** The portal's root URL, for example https://portal.example.com (the API is under /api/v1). */
    baseUrl: string;
    /**
     * A portal service token (`manage.py create_service_token backstage --role platform_admin`).
     * @visibility secret
     */
    token?: string;
    /** Give up on one request to the portal after this many seconds (default 30). */
    requestTimeoutSeconds?: number;
    catalog?: {
      /** How often to read the portal's entities (default: every 5 minutes, 15 s after start). */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
  };
}
