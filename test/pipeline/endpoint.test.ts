// The endpoint step table is built from the proxy's own steps (ARCHITECTURE: one
// implementation of each check): the same step objects, in the same order as PIPELINE,
// with the caller's guard right after authentication and before anything that writes.
import t from 'tap';
import { endpointSteps } from '../../src/pipeline/endpoint.js';
import { PIPELINE } from '../../src/pipeline/index.js';
import type { Step } from '../../src/pipeline/scope.js';

const guard: Step = { name: 'guard', run: () => undefined };

for (const credentials of ['any', 'session-cookie'] as const) {
  t.test(credentials, async (t) => {
    const steps = endpointSteps(credentials, guard);
    t.same(
      steps.map((s) => s.name),
      ['resolve-tenant', 'authenticate', 'guard', 'check-expiry', 'bind-ip', 'record-activity', 'allow'],
    );
    const shared = steps.filter((s) => PIPELINE.includes(s));
    t.same(
      shared.map((s) => s.name),
      ['check-expiry', 'bind-ip', 'record-activity', 'allow'],
      "the proxy's own step objects, not copies",
    );
    const order = shared.map((s) => PIPELINE.indexOf(s));
    t.same(
      order,
      [...order].sort((a, b) => a - b),
      'in the order the proxy runs them',
    );
    t.same(
      endpointSteps(credentials).map((s) => s.name),
      ['resolve-tenant', 'authenticate', 'check-expiry', 'bind-ip', 'record-activity', 'allow'],
      'without a guard',
    );
  });
}
