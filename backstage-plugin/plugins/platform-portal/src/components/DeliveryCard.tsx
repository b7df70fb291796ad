import type { ReactNode } from 'react';
import { InfoCard, Link, StatusError, StatusOK, StatusWarning } from '@backstage/core-components';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import type {
  CanaryJudgement,
  Counted,
  GateEvaluation,
  PreviewEnvironment,
  RiskAssessment,
} from '@platform-portal/plugin-platform-portal-common';
import { day, money, score } from './format';
import { Loaded } from './Loaded';
import { usePortalData } from './usePortalData';

/** How many of the assessment's factors the card shows, the heaviest first. */
export const TOP_FACTORS = 3;

/** The service's delivery: latest change risk, canary judgement, quality gates and live previews. */
export function DeliveryCard() {
  const risk = usePortalData((api, service) => api.latestRiskAssessment(service));
  const canary = usePortalData((api, service) => api.latestCanaryJudgement(service));
  const gates = usePortalData((api, service) => api.latestGateEvaluation(service));
  const previews = usePortalData((api, service) => api.livePreviews(service));
  return (
    <InfoCard title="Delivery" subheader={risk.service}>
      <Section title="Change risk" first>
        <Loaded data={risk} what="risk assessments">
          {assessments => <LatestRisk assessments={assessments} />}
        </Loaded>
      </Section>
      <Section title="Canary analysis">
        <Loaded data={canary} what="canary judgements">
          {judgements => <LatestCanary judgements={judgements} />}
        </Loaded>
      </Section>
      <Section title="Quality gates">
        <Loaded data={gates} what="gate evaluations">
          {evaluations => <LatestGates evaluations={evaluations} />}
        </Loaded>
      </Section>
      <Section title="Preview environments">
        <Loaded data={previews} what="preview environments">
          {live => <LivePreviews previews={live} />}
        </Loaded>
      </Section>
    </InfoCard>
  );
}

function Section({ title, first, children }: { title: string; first?: boolean; children: ReactNode }) {
  return (
    <>
      <Typography variant="subtitle2" style={first ? undefined : { marginTop: 16 }}>
        {title}
      </Typography>
      {children}
    </>
  );
}

function Reasons({
  label,
  items,
}: {
  label: string;
  items: { key: string; primary: ReactNode; secondary?: string }[];
}) {
  return (
    <List dense aria-label={label}>
      {items.map(item => (
        <ListItem key={item.key} disableGutters>
          <ListItemText primary={item.primary} secondary={item.secondary} />
        </ListItem>
      ))}
    </List>
  );
}

function RiskLevel({ assessment }: { assessment: RiskAssessment }) {
  const text = `Risk ${score(assessment.score)}: ${assessment.level}`;
  if (assessment.level === 'low') return <StatusOK>{text}</StatusOK>;
  if (assessment.level === 'medium') return <StatusWarning>{text}</StatusWarning>;
  return <StatusError>{text}</StatusError>;
}

function PullRequest({ assessment }: { assessment: RiskAssessment }) {
  if (assessment.pull_request === null) {
    return (
      <>
        {assessment.head_sha
          ? `commit ${assessment.head_sha.slice(0, 7)}`
          : 'a change without a pull request'}
      </>
    );
  }
  const name = `pull request #${assessment.pull_request}`;
  // The comment's link is the pull request's page with the comment as its fragment (GitHub and GitLab).
  const url = assessment.comment?.url?.split('#')[0];
  return (
    <>
      {url ? <Link to={url}>{name}</Link> : name}
      {assessment.repository ? ` of ${assessment.repository}` : ''}
    </>
  );
}

function LatestRisk({ assessments }: { assessments: Counted<RiskAssessment> }) {
  const latest = assessments.results[0];
  if (!latest) {
    return <Typography variant="body2">No change has been assessed yet.</Typography>;
  }
  const factors = [...latest.factors].sort((a, b) => b.points - a.points).slice(0, TOP_FACTORS);
  return (
    <>
      <RiskLevel assessment={latest} />
      <Typography variant="body2">
        Latest: <PullRequest assessment={latest} /> ({day(latest.created_at)})
      </Typography>
      {factors.length > 0 && (
        <Reasons
          label="Top risk factors"
          items={factors.map(factor => ({
            key: factor.key,
            primary: factor.reason,
            secondary: `+${factor.points} points`,
          }))}
        />
      )}
      <Typography variant="body2">
        Recommended rollout: <strong>{latest.strategy.name.replace(/_/g, ' ')}</strong>.{' '}
        {latest.strategy.reason}
      </Typography>
    </>
  );
}

function CanaryOutcome({ judgement }: { judgement: CanaryJudgement }) {
  const text = `${judgement.outcome === 'pass' ? 'Passed' : judgement.outcome === 'marginal' ? 'Marginal' : 'Failed'}, score ${score(judgement.score)}`;
  if (judgement.outcome === 'pass') return <StatusOK>{text}</StatusOK>;
  if (judgement.outcome === 'marginal') return <StatusWarning>{text}</StatusWarning>;
  return <StatusError>{text}</StatusError>;
}

function LatestCanary({ judgements }: { judgements: Counted<CanaryJudgement> }) {
  const latest = judgements.results[0];
  if (!latest) {
    return <Typography variant="body2">No canary has been judged yet.</Typography>;
  }
  const failing = latest.metrics.filter(metric => !metric.passed && !metric.muted);
  return (
    <>
      <CanaryOutcome judgement={latest} />
      <Typography variant="body2">
        In {latest.environment} ({latest.config} config), {day(latest.created_at)}
      </Typography>
      {failing.length > 0 ? (
        <Reasons
          label="Failing canary metrics"
          items={failing.map(metric => ({
            key: metric.name,
            primary: metric.reason,
            secondary: metric.critical ? 'critical metric' : undefined,
          }))}
        />
      ) : (
        latest.outcome !== 'pass' && (
          <Reasons
            label="Canary reasons"
            items={latest.reasons.map((reason, index) => ({ key: String(index), primary: reason }))}
          />
        )
      )}
    </>
  );
}

function LatestGates({ evaluations }: { evaluations: Counted<GateEvaluation> }) {
  const latest = evaluations.results[0];
  if (!latest) {
    return <Typography variant="body2">No quality gates have been evaluated yet.</Typography>;
  }
  const blocking = latest.gates.filter(gate => gate.outcome === 'block');
  const where = `${latest.version ? `${latest.version} in ` : ''}${latest.environment}, ${day(latest.created_at)}`;
  return (
    <>
      {latest.outcome === 'pass' ? (
        <StatusOK>Passed all {latest.gates.length} gates</StatusOK>
      ) : (
        <StatusError>
          Blocked by {blocking.length} of {latest.gates.length} gates
        </StatusError>
      )}
      <Typography variant="body2">{where}</Typography>
      {blocking.length > 0 && (
        <Reasons
          label="Blocking gates"
          items={blocking.map(gate => ({ key: gate.name, primary: gate.reason, secondary: gate.name }))}
        />
      )}
    </>
  );
}

function LivePreviews({ previews }: { previews: Counted<PreviewEnvironment> }) {
  if (!previews.count) {
    return <Typography variant="body2">No live preview environments.</Typography>;
  }
  const more = previews.count - previews.results.length;
  return (
    <>
      <Typography variant="body2">
        {previews.count} live preview environment{previews.count === 1 ? '' : 's'}
      </Typography>
      <Reasons
        label="Live preview environments"
        items={previews.results.map(preview => ({
          key: String(preview.id),
          primary: preview.url ? (
            <Link to={preview.url}>{`#${preview.number}: ${preview.title || preview.branch}`}</Link>
          ) : (
            `#${preview.number}: ${preview.title || preview.branch}`
          ),
          secondary: `${preview.state}, expires ${day(preview.expires_at)}, ${money(Number(preview.cost), 'USD')} so far`,
        }))}
      />
      {more > 0 && (
        <Typography variant="caption" color="textSecondary">
          and {more} more
        </Typography>
      )}
    </>
  );
}
