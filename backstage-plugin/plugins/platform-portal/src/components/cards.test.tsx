import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { fireEvent, screen } from '@testing-library/react';
import { PortalError } from '@platform-portal/plugin-platform-portal-common';
import type {
  CanaryJudgement,
  GateEvaluation,
  PreviewEnvironment,
  RiskAssessment,
} from '@platform-portal/plugin-platform-portal-common';
import { platformPortalApiRef } from '../api';
import type { PlatformPortalApi } from '../api';
import { ApprovalsCard } from './ApprovalsCard';
import { CostCard } from './CostCard';
import { DeliveryCard } from './DeliveryCard';
import { IncidentsCard } from './IncidentsCard';
import { SloCard } from './SloCard';

const ENTITY: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'payments-api', annotations: { 'platform-portal/tier': '1' } },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/payments' },
};

const notFound = () =>
  Promise.reject(new PortalError({ status: 404, code: 'not_found', message: 'Not found.' }));

/** An api whose every read is "not available yet" unless the test says otherwise. */
function portalApi(overrides: Partial<PlatformPortalApi>): PlatformPortalApi {
  return {
    sloStatus: notFound,
    serviceCost: notFound,
    openIncidents: notFound,
    lastPostmortem: notFound,
    pendingActionRequests: notFound,
    latestRiskAssessment: notFound,
    latestCanaryJudgement: notFound,
    latestGateEvaluation: notFound,
    livePreviews: notFound,
    ...overrides,
  };
}

async function render(card: JSX.Element, api: PlatformPortalApi, entity: Entity = ENTITY) {
  await renderInTestApp(
    <TestApiProvider apis={[[platformPortalApiRef, api]]}>
      <EntityProvider entity={entity}>{card}</EntityProvider>
    </TestApiProvider>,
  );
}

describe('SloCard', () => {
  it('shows each SLO with its objective, error budget left, burn rates and status', async () => {
    const sloStatus = jest.fn(async (service: string) => ({
      service,
      slos: [
        {
          name: 'availability',
          objective: 99.9,
          window: '30d',
          error_budget_remaining: 0.731,
          burn_rates: { '5m': 0.2, '1h': 0.4, '6h': 0.8, '1d': 1.0, '3d': 1.1 },
          status: 'ok' as const,
        },
        {
          name: 'latency',
          objective: 99,
          window: '30d',
          error_budget_remaining: -0.2,
          burn_rates: { '1h': 14.4 },
          status: 'exhausted' as const,
        },
      ],
    }));

    await render(<SloCard />, portalApi({ sloStatus }));

    expect(sloStatus).toHaveBeenCalledWith('payments-api');
    expect(await screen.findByText('availability')).toBeTruthy();
    expect(screen.getByText('99.9% over 30d')).toBeTruthy();
    expect(screen.getByText('73%')).toBeTruthy();
    expect(screen.getByText('0.4× / 0.8× / 1.1×')).toBeTruthy();
    expect(screen.getByText('14× / – / –')).toBeTruthy();
    expect(screen.getByText('Budget exhausted')).toBeTruthy();
  });

  it('says when the portal has no SLO endpoint yet (404)', async () => {
    await render(<SloCard />, portalApi({}));

    expect(
      await screen.findByText('Not available yet: the platform portal has no SLOs for payments-api.'),
    ).toBeTruthy();
  });

  it('shows the error and offers to try again when the portal fails', async () => {
    const sloStatus = () =>
      Promise.reject(
        new PortalError({ status: 0, code: 'unreachable', message: 'Cannot reach the platform portal' }),
      );

    await render(<SloCard />, portalApi({ sloStatus }));

    expect(await screen.findByText(/Could not load SLOs/)).toBeTruthy();
    expect(screen.getByText('Cannot reach the platform portal')).toBeTruthy();
    expect(screen.getByText('Try again')).toBeTruthy();
  });

  it('reads the service named by the platform-portal/service-name annotation', async () => {
    const sloStatus = jest.fn(async (service: string) => ({ service, slos: [] }));
    const entity = {
      ...ENTITY,
      metadata: { name: 'payments', annotations: { 'platform-portal/service-name': 'payments-api' } },
    };

    await render(<SloCard />, portalApi({ sloStatus }), entity);

    expect(await screen.findByText('No SLOs are defined for payments-api yet.')).toBeTruthy();
    expect(sloStatus).toHaveBeenCalledWith('payments-api');
  });
});

describe('CostCard', () => {
  it('shows the 30-day total, its trend and the most expensive day', async () => {
    const serviceCost = jest.fn(async (service: string) => ({
      service,
      currency: 'EUR',
      total: 1234.5,
      daily: [
        { date: '2026-11-01', cost: 40 },
        { date: '2026-11-02', cost: 52.25 },
        { date: '2026-11-03', cost: 38 },
      ],
      trend_percent: 12.46,
    }));

    await render(<CostCard />, portalApi({ serviceCost }));

    expect(await screen.findByText('€1,234.50')).toBeTruthy();
    expect(serviceCost).toHaveBeenCalledWith('payments-api', 30);
    expect(screen.getByText(/\+12\.5% against the 30 days before/)).toBeTruthy();
    expect(screen.getByText('Highest day: 2026-11-02 (€52.25)')).toBeTruthy();
  });

  it('says when cost data is not available yet (404)', async () => {
    await render(<CostCard />, portalApi({}));

    expect(
      await screen.findByText('Not available yet: the platform portal has no cost data for payments-api.'),
    ).toBeTruthy();
  });
});

describe('IncidentsCard', () => {
  it('lists open incidents and links the last postmortem', async () => {
    const openIncidents = async () => ({
      count: 1,
      results: [
        {
          id: 'i1',
          title: 'Checkout errors',
          severity: 'sev2',
          state: 'open',
          started_at: '2026-11-20T09:00:00Z',
          url: 'http://portal.test/incidents/i1',
        },
      ],
    });
    const lastPostmortem = async () => ({
      count: 3,
      results: [
        {
          id: 'p1',
          incident_id: 'i0',
          title: 'Ledger lag',
          created_at: '2026-11-01T10:00:00Z',
          url: 'http://portal.test/pm/p1',
        },
      ],
    });

    await render(<IncidentsCard />, portalApi({ openIncidents, lastPostmortem }));

    expect(await screen.findByText('1 open incident')).toBeTruthy();
    expect(screen.getByText('SEV2: Checkout errors').closest('a')?.getAttribute('href')).toBe(
      'http://portal.test/incidents/i1',
    );
    expect(screen.getByText('Ledger lag').closest('a')?.getAttribute('href')).toBe(
      'http://portal.test/pm/p1',
    );
  });

  it('keeps the incidents when only postmortems are not available yet', async () => {
    await render(<IncidentsCard />, portalApi({ openIncidents: async () => ({ count: 0, results: [] }) }));

    expect(await screen.findByText('No open incidents.')).toBeTruthy();
    expect(
      await screen.findByText('Not available yet: the platform portal has no postmortems for payments-api.'),
    ).toBeTruthy();
  });
});

describe('ApprovalsCard', () => {
  it('lists the actions waiting for approval with a link to approve them', async () => {
    const pendingActionRequests = async () => ({
      count: 1,
      results: [
        {
          id: 'a1',
          action: 'Restart payments-api in prod',
          reason: 'Memory leak suspected',
          requested_by: 'aiops',
          created_at: '2026-11-24T08:00:00Z',
          url: 'http://portal.test/approve/a1',
        },
      ],
    });

    await render(<ApprovalsCard />, portalApi({ pendingActionRequests }));

    expect((await screen.findByText('Restart payments-api in prod')).closest('a')?.getAttribute('href')).toBe(
      'http://portal.test/approve/a1',
    );
    expect(screen.getByText('Memory leak suspected (asked by aiops, 2026-11-24)')).toBeTruthy();
  });

  it('says when nothing waits', async () => {
    await render(
      <ApprovalsCard />,
      portalApi({ pendingActionRequests: async () => ({ count: 0, results: [] }) }),
    );

    expect(await screen.findByText('Nothing is waiting for approval.')).toBeTruthy();
  });
});

describe('DeliveryCard', () => {
  const risk: RiskAssessment = {
    id: 31,
    service: 'payments-api',
    repository: 'acme/payments-api',
    pull_request: 42,
    head_sha: '9f2c1e4b7a',
    author: 'dana',
    source: 'github',
    at: '2026-11-24T16:30:00Z',
    timezone: 'Europe/Berlin',
    score: 72,
    level: 'high',
    factors: [
      { key: 'late_friday', points: 10, reason: 'Goes out on a Friday afternoon' },
      { key: 'auth', points: 30, reason: 'Touches authentication code' },
      { key: 'size', points: 12, reason: '840 lines changed in 23 files' },
      { key: 'no_tests', points: 20, reason: 'No test changed with the code' },
    ],
    areas: ['auth', 'code'],
    files: [],
    tests: null,
    strategy: { name: 'blue_green', reason: 'Switch all traffic at once after a preview check.' },
    rollback: null,
    summary: '## Change risk: 72/100 (high)',
    comment: {
      id: 7001,
      url: 'https://github.com/acme/payments-api/pull/42#issuecomment-7001',
      posted: true,
      error: '',
    },
    created_at: '2026-11-24T15:00:00Z',
    updated_at: '2026-11-24T15:00:00Z',
  };
  const metric = {
    groups: ['latency'],
    direction: 'increase',
    critical: false,
    muted: false,
    ratio: 1.3,
    effect_size: 1.3,
    p_value: 0.001,
  };
  const canary: CanaryJudgement = {
    id: 5,
    service: 'payments-api',
    environment: 'prod',
    config: 'default',
    outcome: 'marginal',
    score: 82.5,
    reasons: ['Marginal: 82.5 is below the pass threshold 95'],
    metrics: [
      {
        ...metric,
        name: 'latency_p99',
        classification: 'high',
        passed: false,
        reason: 'latency_p99: canary higher than baseline: median 0.41 vs 0.3',
      },
      {
        ...metric,
        name: 'cpu_per_pod',
        classification: 'high',
        passed: false,
        muted: true,
        reason: 'cpu_per_pod: canary higher than baseline (muted)',
      },
      {
        ...metric,
        name: 'error_ratio',
        classification: 'pass',
        passed: true,
        reason: 'error_ratio: no change',
      },
    ],
    group_scores: { latency: 50, errors: 100 },
    baseline: { version: 'v1' },
    canary: { version: 'v2' },
    start: '2026-11-24T14:00:00Z',
    end: '2026-11-24T14:30:00Z',
    requested_by: 'argo',
    created_at: '2026-11-24T14:31:00Z',
    url: 'http://portal.test/api/v1/delivery/canary/judgements/5',
  };
  const gates: GateEvaluation = {
    id: 8,
    service: 'payments-api',
    environment: 'prod',
    version: 'v2',
    outcome: 'block',
    reasons: ['Error rate 2.1% is above 1.0%'],
    gates: [
      {
        name: 'error_rate',
        outcome: 'block',
        observed: 2.1,
        threshold: 1,
        unit: '%',
        derivation: 'SLO',
        reason: 'Error rate 2.1% is above 1.0%',
      },
      {
        name: 'flaky_tests',
        outcome: 'pass',
        observed: 0,
        threshold: 5,
        unit: '%',
        derivation: 'history',
        reason: 'No flaky tests',
      },
    ],
    start: '2026-11-24T14:00:00Z',
    end: '2026-11-24T14:30:00Z',
    requested_by: null,
    created_at: '2026-11-24T14:32:00Z',
  };
  const preview: PreviewEnvironment = {
    id: 3,
    service: 'payments-api',
    team: 'payments',
    number: 42,
    provider: 'github',
    repository: 'acme/payments-api',
    title: 'Refund API v2',
    author: 'dana',
    url: 'https://github.com/acme/payments-api/pull/42',
    branch: 'refunds-v2',
    head_sha: '9f2c1e4b7a',
    deployed_sha: '9f2c1e4b7a',
    namespace: 'pr-payments-api-42',
    state: 'active',
    reason: '',
    last_push_at: '2026-11-24T15:00:00Z',
    expires_at: '2026-11-27T15:00:00Z',
    awake_until: null,
    gitops_commit: 'abc123',
    cost: '1.250000',
    running_hours: 10,
    sleeping_hours: 2,
    created_at: '2026-11-24T15:00:00Z',
    deleted_at: null,
    links: {
      self: 'http://portal.test/api/v1/previews/3',
      extend: 'http://portal.test/api/v1/previews/3/extend',
      wake: 'http://portal.test/api/v1/previews/3/wake',
    },
  };
  const one =
    <T,>(value: T, count = 1) =>
    async () => ({ count, results: [value] });
  const none = async () => ({ count: 0, results: [] });

  it('shows the latest risk, canary and gates with their reasons, and the live previews', async () => {
    const latestRiskAssessment = jest.fn(one(risk, 12));
    const livePreviews = jest.fn(one(preview, 3));

    await render(
      <DeliveryCard />,
      portalApi({
        latestRiskAssessment,
        latestCanaryJudgement: one(canary),
        latestGateEvaluation: one(gates),
        livePreviews,
      }),
    );

    expect(await screen.findByText('Risk 72/100: high')).toBeTruthy();
    expect(latestRiskAssessment).toHaveBeenCalledWith('payments-api');
    expect(livePreviews).toHaveBeenCalledWith('payments-api');
    expect(screen.getByText('pull request #42').closest('a')?.getAttribute('href')).toBe(
      'https://github.com/acme/payments-api/pull/42',
    );
    // The three heaviest factors, heaviest first; the lightest is left out.
    const factors = screen.getByRole('list', { name: 'Top risk factors' }).textContent ?? '';
    expect(factors).toBe(
      'Touches authentication code+30 pointsNo test changed with the code+20 points840 lines changed in 23 files+12 points',
    );
    expect(screen.queryByText('Goes out on a Friday afternoon')).toBeNull();
    expect(screen.getByText('blue green')).toBeTruthy();
    expect(screen.getByText(/Switch all traffic at once after a preview check\./)).toBeTruthy();

    expect(screen.getByText('Marginal, score 82.5/100')).toBeTruthy();
    expect(screen.getByText('latency_p99: canary higher than baseline: median 0.41 vs 0.3')).toBeTruthy();
    expect(screen.queryByText('cpu_per_pod: canary higher than baseline (muted)')).toBeNull();
    expect(screen.queryByText('error_ratio: no change')).toBeNull();

    expect(screen.getByText('Blocked by 1 of 2 gates')).toBeTruthy();
    expect(screen.getByText('Error rate 2.1% is above 1.0%')).toBeTruthy();
    expect(screen.queryByText('No flaky tests')).toBeNull();

    expect(screen.getByText('3 live preview environments')).toBeTruthy();
    expect(screen.getByText('#42: Refund API v2').closest('a')?.getAttribute('href')).toBe(
      'https://github.com/acme/payments-api/pull/42',
    );
    expect(screen.getByText('active, expires 2026-11-27, $1.25 so far')).toBeTruthy();
    expect(screen.getByText('and 2 more')).toBeTruthy();
  });

  it('shows passing canary and gates without reasons, and a low risk without a pull request', async () => {
    await render(
      <DeliveryCard />,
      portalApi({
        latestRiskAssessment: one({ ...risk, level: 'low', score: 8, pull_request: null, comment: null }),
        latestCanaryJudgement: one({
          ...canary,
          outcome: 'pass',
          score: 100,
          metrics: canary.metrics.filter(m => m.passed),
        }),
        latestGateEvaluation: one({ ...gates, outcome: 'pass', reasons: [], gates: gates.gates.slice(1) }),
        livePreviews: none,
      }),
    );

    expect(await screen.findByText('Risk 8/100: low')).toBeTruthy();
    expect(screen.getByText(/commit 9f2c1e4/)).toBeTruthy();
    expect(screen.getByText('Passed, score 100/100')).toBeTruthy();
    expect(screen.queryByRole('list', { name: 'Failing canary metrics' })).toBeNull();
    expect(screen.getByText('Passed all 1 gates')).toBeTruthy();
    expect(screen.queryByRole('list', { name: 'Blocking gates' })).toBeNull();
    expect(screen.getByText('No live preview environments.')).toBeTruthy();
  });

  it('says when nothing has been assessed, judged, evaluated or previewed yet', async () => {
    await render(
      <DeliveryCard />,
      portalApi({
        latestRiskAssessment: none,
        latestCanaryJudgement: none,
        latestGateEvaluation: none,
        livePreviews: none,
      }),
    );

    expect(await screen.findByText('No change has been assessed yet.')).toBeTruthy();
    expect(await screen.findByText('No canary has been judged yet.')).toBeTruthy();
    expect(await screen.findByText('No quality gates have been evaluated yet.')).toBeTruthy();
    expect(await screen.findByText('No live preview environments.')).toBeTruthy();
  });

  it('says which parts are not available yet (404)', async () => {
    await render(<DeliveryCard />, portalApi({ latestGateEvaluation: none }));

    for (const what of ['risk assessments', 'canary judgements', 'preview environments']) {
      expect(
        await screen.findByText(`Not available yet: the platform portal has no ${what} for payments-api.`),
      ).toBeTruthy();
    }
    expect(screen.getByText('No quality gates have been evaluated yet.')).toBeTruthy();
  });

  it('shows the error of one part with a retry and keeps the others', async () => {
    const latestCanaryJudgement = jest
      .fn<Promise<{ count: number; results: CanaryJudgement[] }>, [string]>()
      .mockRejectedValueOnce(
        new PortalError({ status: 503, code: 'unavailable', message: 'Prometheus is not answering' }),
      )
      .mockImplementation(none);

    await render(
      <DeliveryCard />,
      portalApi({
        latestRiskAssessment: one(risk),
        latestCanaryJudgement,
        latestGateEvaluation: none,
        livePreviews: none,
      }),
    );

    expect(await screen.findByText(/Could not load canary judgements/)).toBeTruthy();
    expect(screen.getByText('Prometheus is not answering')).toBeTruthy();
    expect(screen.getByText('Risk 72/100: high')).toBeTruthy();

    fireEvent.click(screen.getByText('Try again'));

    expect(await screen.findByText('No canary has been judged yet.')).toBeTruthy();
    expect(latestCanaryJudgement).toHaveBeenCalledTimes(2);
  });
});
