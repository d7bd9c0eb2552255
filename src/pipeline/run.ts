// Runs the step table. A store outage becomes a 503 decision (failureMode: closed) and
// never "no session"; anything else unexpected is a 500 logged with its step.
import type { Deps } from '../deps.js';
import { StoreUnavailableError } from '../store/types.js';
import { PIPELINE, type ProxyDeps } from './index.js';
import type { Decision, PipelineInput, Scope, Step } from './scope.js';
import { deny } from './scope.js';

/** What the runner itself reads: a store outage is counted, a failed step logged. */
export type RunDeps = Pick<Deps, 'metrics' | 'log'>;

export type PipelineResult = { decision: Decision; scope: Scope };

/** The proxy's table (PIPELINE), or any table of steps with the deps they read together. */
export function runPipeline(input: PipelineInput, deps: ProxyDeps & RunDeps): Promise<PipelineResult>;
export function runPipeline<D extends RunDeps>(
  input: PipelineInput,
  deps: D,
  steps: readonly Step<D>[],
): Promise<PipelineResult>;
export async function runPipeline(
  input: PipelineInput,
  deps: ProxyDeps & RunDeps,
  steps: readonly Step<ProxyDeps>[] = PIPELINE,
): Promise<PipelineResult> {
  const scope: Scope = { input };
  for (const step of steps) {
    let result: Decision | void;
    try {
      const ran = step.run(scope, deps);
      // Most steps are synchronous: awaiting them anyway would cost a microtask each.
      result = ran instanceof Promise ? await ran : ran;
    } catch (err) {
      if (err instanceof StoreUnavailableError) {
        deps.metrics.storeErrors.inc({ op: step.name });
        return { decision: deny('ERR_GK_STORE_UNAVAILABLE', 'store_unavailable'), scope };
      }
      deps.log.error({ err, step: step.name }, 'pipeline step failed');
      return { decision: deny('ERR_GK_INTERNAL', `step_failed:${step.name}`), scope };
    }
    if (result) return { decision: result, scope };
  }
  throw new TypeError('pipeline ended without a decision: the table must end with `allow`');
}
