import { InfoCard, LinearGauge, StatusError, StatusOK, StatusWarning } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { ServiceSlo, SloStatusLevel } from '@platform-portal/plugin-platform-portal-common';
import { burnRate, percent } from './format';
import { Loaded } from './Loaded';
import { usePortalData } from './usePortalData';

const BURN_WINDOWS = ['1h', '6h', '3d'] as const;

/** Each SLO of the service: objective, error budget left, burn rates and status. */
export function SloCard() {
  const data = usePortalData((api, service) => api.sloStatus(service));
  return (
    <InfoCard title="SLOs and error budget" subheader={`Objectives of ${data.service}`}>
      <Loaded data={data} what="SLOs">
        {status =>
          status.slos.length ? (
            <SloTable slos={status.slos} />
          ) : (
            <Typography variant="body2">No SLOs are defined for {data.service} yet.</Typography>
          )
        }
      </Loaded>
    </InfoCard>
  );
}

function SloTable({ slos }: { slos: ServiceSlo[] }) {
  return (
    <Table size="small" aria-label="SLOs">
      <TableHead>
        <TableRow>
          <TableCell>SLO</TableCell>
          <TableCell>Objective</TableCell>
          <TableCell>Error budget left</TableCell>
          <TableCell>Burn rate {BURN_WINDOWS.join(' / ')}</TableCell>
          <TableCell>Status</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {slos.map(slo => (
          <TableRow key={slo.name}>
            <TableCell>{slo.name}</TableCell>
            <TableCell>
              {slo.objective}% over {slo.window}
            </TableCell>
            <TableCell>
              {percent(slo.error_budget_remaining)}
              <LinearGauge value={Math.max(0, Math.min(1, slo.error_budget_remaining))} />
            </TableCell>
            <TableCell>{BURN_WINDOWS.map(w => burnRate(slo.burn_rates[w])).join(' / ')}</TableCell>
            <TableCell>
              <SloStatus status={slo.status} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function SloStatus({ status }: { status: SloStatusLevel }) {
  if (status === 'ok') return <StatusOK>OK</StatusOK>;
  if (status === 'warning') return <StatusWarning>Burning fast</StatusWarning>;
  return <StatusError>Budget exhausted</StatusError>;
}
