// Normalises the path exactly as SPEC §2 says before any matching, so that `//admin`,
// `/x/../admin` or `/%61dmin` cannot slip past a route; unsafe encodings are refused.
import { normalizePath } from '../../policy/normalize-path.js';
import type { Step } from '../scope.js';
import { deny } from '../scope.js';

export const normalizeTarget: Step = {
  name: 'normalize-target',
  run(scope) {
    const result = normalizePath(scope.input.target);
    if (!result.ok) return deny('ERR_GK_BAD_PATH', `bad_path:${result.reason}`);
    scope.target = { path: result.path, matchPath: result.matchPath, query: result.query };
  },
};
