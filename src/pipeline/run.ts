// Runs the step table. A store outage becomes a 503 decision (failureMode: closed) and
// never "no session"; anything else unexpected is a 500 logged with its step.
import type { Deps } from '../deps.js';
import { StoreUnavailableError } from '../store/types.js';
import { PIPELINE } from './index.js';
import type { Decision, PipelineInput, Scope, Step } from './scope.js';
import { deny } from './scope.js';

export async function runPipeline(
  input: PipelineInput,
  deps: Deps,
  steps: readonly Step[] = PIPELINE,
): Promise<{ decision: Decision; scope: Scope }> {
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
