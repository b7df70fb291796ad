import { InfoCard, Link } from '@backstage/core-components';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { day } from './format';
import { Loaded } from './Loaded';
import { usePortalData } from './usePortalData';

/** Remediation actions for the service that wait for a person to approve them. */
export function ApprovalsCard() {
  const data = usePortalData((api, service) => api.pendingActionRequests(service));
  return (
    <InfoCard title="Pending approvals" subheader={data.service}>
      <Loaded data={data} what="approvals">
        {pending =>
          pending.count ? (
            <List dense>
              {pending.results.map(request => (
                <ListItem key={request.id} disableGutters>
                  <ListItemText
                    primary={<Link to={request.url}>{request.action}</Link>}
                    secondary={`${request.reason} (asked by ${request.requested_by}, ${day(request.created_at)})`}
                  />
                </ListItem>
              ))}
            </List>
          ) : (
            <Typography variant="body2">Nothing is waiting for approval.</Typography>
          )
        }
      </Loaded>
    </InfoCard>
  );
}
