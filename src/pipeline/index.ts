// THE pipeline: every proxied request, WebSocket upgrade and forward-auth decision runs
// these steps in this order (SPEC §3). Read top to bottom.
import type { Step } from './scope.js';
import type { IpBindingDeps } from '../session/ip-binding.js';
import type { TouchDeps } from '../session/service.js';
import { resolveApp, type ResolveAppDeps } from './steps/resolve-app.js';
import { normalizeTarget, type NormalizeTargetDeps } from './steps/normalize-target.js';
import { matchRoute } from './steps/match-route.js';
import { allowAnonymous } from './steps/allow-anonymous.js';
import { authenticate, type AuthnDeps } from './steps/authenticate.js';
import { checkExpiry, type CheckExpiryDeps } from './steps/check-expiry.js';
import { bindIp } from './steps/bind-ip.js';
import { enforcePolicy, type EnforcePolicyDeps } from './steps/enforce-policy.js';
import { recordActivity } from './steps/record-activity.js';
import { allow } from './steps/allow.js';

/** Everything the steps below read, together. */
export type ProxyDeps = ResolveAppDeps &
  NormalizeTargetDeps &
  AuthnDeps &
  CheckExpiryDeps &
  IpBindingDeps &
  EnforcePolicyDeps &
  TouchDeps;

export const PIPELINE: readonly Step<ProxyDeps>[] = [
  resolveApp, //      Host → app and tenant (404 when none)
  normalizeTarget, // SPEC §2 path normalisation (400 when unsafe)
  matchRoute, //      first matching route policy, default "authenticated"
  allowAnonymous, //  anonymous routes: forward without credentials
  authenticate, //    session cookie, else bearer JWT; revoked ids refused from the LRU
  checkExpiry, //     absolute and idle expiry
  bindIp, //          IP binding (off | exact | subnet), audited
  enforcePolicy, //   roles, then freshAuth
  recordActivity, //  throttled idle refresh
  allow, //           identity for the upstream
];
