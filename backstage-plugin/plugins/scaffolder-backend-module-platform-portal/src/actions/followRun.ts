import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { PortalError } from '@platform-portal/plugin-platform-portal-common';
import type { PortalClient, Run, RunLogLine } from '@platform-portal/plugin-platform-portal-common';

/** How often to ask the portal about a run: back off while nothing happens, start over when it does. */
export interface PollingOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  /** Give up after this many failed reads in a row (portal restarting, proxy hiccups). */
  maxConsecutiveErrors: number;
}

export const DEFAULT_POLLING: PollingOptions = {
  initialDelayMs: 500,
  maxDelayMs: 5_000,
  factor: 1.5,
  maxConsecutiveErrors: 10,
};

export interface FollowOptions {
  logger: LoggerService;
  polling: PollingOptions;
  /** Stop waiting (the run goes on in the portal) at this time, in ms since the epoch. */
  deadline: number;
  signal?: AbortSignal;
}

const TERMINAL_STATES = new Set<Run['state']>(['succeeded', 'failed']);

/** Poll a run until it ends, writing each new log line to the logger; answer the finished run. */
export async function followRun(client: PortalClient, runId: string, options: FollowOptions): Promise<Run> {
  const { polling } = options;
  let after = 0;
  let delay = polling.initialDelayMs;
  let errors = 0;
  for (;;) {
    const read = await readRun(client, runId, after, options, ++errors);
    if (read) {
      errors = 0;
      after = writeLog(options.logger, read.log, after);
      if (TERMINAL_STATES.has(read.state)) {
        await drainLog(client, runId, after, options);
        return read;
      }
      if (Date.now() >= options.deadline) {
        throw new Error(stillRunningMessage(read));
      }
      delay = read.log.length ? polling.initialDelayMs : nextDelay(delay, polling);
    } else {
      delay = nextDelay(delay, polling);
    }
    await sleep(delay, undefined, { signal: options.signal });
  }
}

/** One read of the run; undefined after a failure worth another try, which is logged. */
async function readRun(
  client: PortalClient,
  runId: string,
  after: number,
  options: FollowOptions,
  attempt: number,
) {
  try {
    return await client.getRun(runId, after, options.signal);
  } catch (error) {
    if (
      !(error instanceof PortalError) ||
      !error.retryable ||
      attempt >= options.polling.maxConsecutiveErrors
    ) {
      throw error;
    }
    options.logger.warn(`Reading run ${runId} failed (${error.message}); trying again`);
    return undefined;
  }
}

/** Lines written just after the run ended (the portal records the state first): read them once more. */
async function drainLog(
  client: PortalClient,
  runId: string,
  after: number,
  options: FollowOptions,
): Promise<void> {
  try {
    const last = await client.getRun(runId, after, options.signal);
    writeLog(options.logger, last.log, after);
  } catch {
    // The outcome is known already; missing a closing log line is not worth failing the task for.
  }
}

function writeLog(logger: LoggerService, lines: RunLogLine[], after: number): number {
  let last = after;
  for (const line of lines) {
    if (line.id <= last) continue;
    const text = line.step ? `[${line.step}] ${line.message}` : line.message;
    if (line.level === 'error') logger.error(text);
    else if (line.level === 'warning' || line.level === 'warn') logger.warn(text);
    else logger.info(text);
    last = line.id;
  }
  return last;
}

function nextDelay(delay: number, polling: PollingOptions): number {
  return Math.min(Math.round(delay * polling.factor), polling.maxDelayMs);
}

function stillRunningMessage(run: Run): string {
  const where = run.current_step ? ` at step ${run.current_step}` : '';
  return (
    `Stopped waiting for golden-path run ${run.id}: it is still ${run.state}${where}. ` +
    `It goes on in the portal (${run.run_url}); retry this task to wait for it again.`
  );
}
