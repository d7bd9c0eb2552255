// Normalises the path exactly as SPEC §2 says before any matching, so that `//admin`,
// `/x/../admin` or `/%61dmin` cannot slip past a route; unsafe encodings are refused.
// A path that only normalises to a gateway path (`//t/acme/login`, `/%74/acme/…`) is refused
// too: /t/{slug}/ belongs to the gateway and must never reach an app in disguise.
import { normalizePath } from '../../policy/normalize-path.js';
import type { Deps } from '../../deps.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

const TENANT_PATH = /^\/t\/([a-z0-9-]{1,63})(?:\/|$)/;

/** The registry: which /t/{slug}/ prefixes are the gateway's. */
export type NormalizeTargetDeps = Pick<Deps, 'registry'>;

export const normalizeTarget: Step<NormalizeTargetDeps> = {
  name: 'normalize-target',
  run(scope, deps) {
    const result = normalizePath(scope.input.target);
    if (!result.ok) return deny('ERR_GK_BAD_PATH', `bad_path:${result.reason}`);
    const gatewayPath = TENANT_PATH.exec(result.matchPath);
    if (gatewayPath && deps.registry.tenants.has(gatewayPath[1]!))
      return deny('ERR_GK_BAD_PATH', 'non_canonical_gateway_path');
    scope.target = { path: result.path, matchPath: result.matchPath, query: result.query };
  },
};
