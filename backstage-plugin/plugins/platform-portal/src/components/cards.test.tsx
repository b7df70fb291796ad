import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { PortalError } from '@platform-portal/plugin-platform-portal-common';
import { platformPortalApiRef } from '../api';
import type { PlatformPortalApi } from '../api';
import { ApprovalsCard } from './ApprovalsCard';
import { CostCard } from './CostCard';
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
