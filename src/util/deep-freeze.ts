// The configuration, its defaults and a tenant's effective settings are frozen all the way
// down once built: no request can change what every other request reads.

/**
 * Freezes `value` and every object and array reachable from it, and returns it. An object
 * that is frozen already counts as frozen all the way down (what this function leaves
 * behind), so parts shared with an earlier frozen value (DEFAULTS, the users of a config
 * that is reloaded) are not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
