// The paging parameters of the users lists (admin API and portal): `limit` (1..max, default
// given), `cursor` (opaque, from the previous page's nextCursor), `q` (search prefix).
// A malformed limit or cursor is a 400, never silently the first page.
import { decodeCursor } from '../../directory/users.js';
import { GatewayError } from '../../errors.js';

export interface PagingParams {
  afterKey: string;
  limit: number;
  q: string;
}

export function pagingParams(
  sp: URLSearchParams,
  o: { defaultLimit: number; maxLimit: number; fixedLimit?: boolean },
): PagingParams {
  const rawLimit = sp.get('limit');
  let limit = o.defaultLimit;
  if (rawLimit !== null && !o.fixedLimit) {
    if (!/^\d{1,6}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > o.maxLimit)
      throw new GatewayError('ERR_GK_BAD_REQUEST', `limit must be an integer from 1 to ${o.maxLimit}`);
    limit = Number(rawLimit);
  }
  const cursor = sp.get('cursor');
  let afterKey = '';
  if (cursor !== null && cursor !== '') {
    const key = decodeCursor(cursor);
    if (key === null) throw new GatewayError('ERR_GK_BAD_REQUEST', 'cursor is not one this gateway issued');
    afterKey = key;
  }
  return { afterKey, limit, q: (sp.get('q') ?? '').trim().slice(0, 200) };
}
