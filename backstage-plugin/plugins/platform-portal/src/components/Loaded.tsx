import type { ReactNode } from 'react';
import { Progress, WarningPanel } from '@backstage/core-components';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import type { PortalData } from './usePortalData';

/** Whether the portal answered 404: that endpoint or that service has nothing yet. */
export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { status?: unknown }).status === 404;
}

/** Loading, "not available yet" (404), an error with a retry, or the children with the value. */
export function Loaded<T>(props: { data: PortalData<T>; what: string; children: (value: T) => ReactNode }) {
  const { data, what, children } = props;
  if (data.loading) {
    return <Progress />;
  }
  if (data.error && isNotFound(data.error)) {
    return (
      <Typography variant="body2" color="textSecondary">
        Not available yet: the platform portal has no {what} for {data.service}.
      </Typography>
    );
  }
  if (data.error) {
    return (
      <WarningPanel severity="error" title={`Could not load ${what}`} message={data.error.message}>
        <Button variant="outlined" size="small" onClick={() => data.retry()}>
          Try again
        </Button>
      </WarningPanel>
    );
  }
  return data.value === undefined ? null : <>{children(data.value)}</>;
}
