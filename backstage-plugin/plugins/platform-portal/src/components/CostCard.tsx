import { InfoCard, TrendLine } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import type { ServiceCost } from '@platform-portal/plugin-platform-portal-common';
import { day, money, trend } from './format';
import { Loaded } from './Loaded';
import { usePortalData } from './usePortalData';

export const COST_DAYS = 30;

/** What the service cost over the last 30 days, its trend and its daily line. */
export function CostCard() {
  const data = usePortalData((api, service) => api.serviceCost(service, COST_DAYS));
  return (
    <InfoCard title={`Cost, last ${COST_DAYS} days`} subheader={data.service}>
      <Loaded data={data} what="cost data">
        {cost => <CostSummary cost={cost} />}
      </Loaded>
    </InfoCard>
  );
}

function CostSummary({ cost }: { cost: ServiceCost }) {
  const highest = cost.daily.reduce<ServiceCost['daily'][number] | undefined>(
    (top, entry) => (top === undefined || entry.cost > top.cost ? entry : top),
    undefined,
  );
  const rising = (cost.trend_percent ?? 0) > 0;
  return (
    <>
      <Typography variant="h4">{money(cost.total, cost.currency)}</Typography>
      <Typography variant="body2" style={{ color: rising ? '#d32f2f' : '#2e7d32' }}>
        {rising ? '▲' : '▼'} {trend(cost.trend_percent)}
      </Typography>
      {cost.daily.length > 1 && (
        // TrendLine draws values between 0 and 1: scale the days to the most expensive one.
        <TrendLine
          data={cost.daily.map(d => d.cost / (highest?.cost || 1))}
          title="Daily cost"
          color="#1976d2"
        />
      )}
      {highest && (
        <Typography variant="caption" color="textSecondary">
          Highest day: {day(highest.date)} ({money(highest.cost, cost.currency)})
        </Typography>
      )}
    </>
  );
}
