import { InfoCard, Link } from '@backstage/core-components';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import type { Counted, Incident, Postmortem } from '@platform-portal/plugin-platform-portal-common';
import { day } from './format';
import { Loaded } from './Loaded';
import { usePortalData } from './usePortalData';

/** The service's open incidents and its last postmortem. */
export function IncidentsCard() {
  const open = usePortalData((api, service) => api.openIncidents(service));
  const postmortems = usePortalData((api, service) => api.lastPostmortem(service));
  return (
    <InfoCard title="Incidents" subheader={open.service}>
      <Loaded data={open} what="incidents">
        {incidents => <OpenIncidents incidents={incidents} />}
      </Loaded>
      <Typography variant="subtitle2" style={{ marginTop: 16 }}>
        Last postmortem
      </Typography>
      <Loaded data={postmortems} what="postmortems">
        {last => <LastPostmortem postmortems={last} />}
      </Loaded>
    </InfoCard>
  );
}

function OpenIncidents({ incidents }: { incidents: Counted<Incident> }) {
  if (!incidents.count) {
    return <Typography variant="body2">No open incidents.</Typography>;
  }
  return (
    <>
      <Typography variant="body2">
        {incidents.count} open incident{incidents.count === 1 ? '' : 's'}
      </Typography>
      <List dense>
        {incidents.results.map(incident => (
          <ListItem key={incident.id} disableGutters>
            <ListItemText
              primary={
                <Link to={incident.url}>{`${incident.severity.toUpperCase()}: ${incident.title}`}</Link>
              }
              secondary={`${incident.state} since ${day(incident.started_at)}`}
            />
          </ListItem>
        ))}
      </List>
    </>
  );
}

function LastPostmortem({ postmortems }: { postmortems: Counted<Postmortem> }) {
  const last = postmortems.results[0];
  if (!last) {
    return <Typography variant="body2">No postmortems yet.</Typography>;
  }
  return (
    <Typography variant="body2">
      <Link to={last.url}>{last.title}</Link> ({day(last.created_at)})
    </Typography>
  );
}
