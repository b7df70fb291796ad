import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import useAsyncRetry from 'react-use/lib/useAsyncRetry';
import { platformPortalApiRef } from '../api';
import type { PlatformPortalApi } from '../api';
import { portalServiceName } from '../serviceName';

export interface PortalData<T> {
  service: string;
  loading: boolean;
  error?: Error;
  value?: T;
  retry(): void;
}

/** Read something about the current entity's service from the portal. */
export function usePortalData<T>(
  read: (api: PlatformPortalApi, service: string) => Promise<T>,
): PortalData<T> {
  const { entity } = useEntity();
  const api = useApi(platformPortalApiRef);
  const service = portalServiceName(entity);
  // `read` is a new function on every render; what is read only changes with the api and the service.
  const state = useAsyncRetry(() => read(api, service), [api, service]);
  return { service, ...state };
}
