// IP binding (see session/ip-binding.ts): a mismatch is "invalid credential".
import { ipBindingHolds, type IpBindingDeps } from '../../session/ip-binding.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export const bindIp: Step<IpBindingDeps> = {
  name: 'bind-ip',
  async run(scope, deps) {
    const { session, tenant } = scope;
    if (!session || !tenant) return;
    if (!(await ipBindingHolds(deps, tenant, session, scope.input.clientIp)))
      return deny('ERR_GK_UNAUTHENTICATED', 'ip_binding_mismatch');
  },
};
