// Session locations (SPEC §2 `geoip.file`, §5 `Session.location`) from a MaxMind
// GeoIP2/GeoLite2 City database, read with the `maxmind` library. Locations are shown to
// people (self-service and admin session lists), never used for a security decision, so
// every lookup failure degrades to "no location" instead of failing the request.
import maxmind, { type CityResponse, type Reader } from 'maxmind';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../util/log.js';

export interface GeoLocation {
  city: string | null;
  country: string | null;
}

export interface GeoLocator {
  /** The location of an IP address; null for unknown, private or invalid addresses. Never throws. */
  locate(ip: string): GeoLocation | null;
  close?(): void;
}

// Session lists ask for the same few addresses again and again (one user's devices);
// a small cache in front of the tree walk is plenty and stays bounded whatever the
// traffic. Misses are cached too, as `false` (lru-cache does not store null).
const CACHE_MAX = 1000;
// Longer than any textual IPv6 address (45 chars) plus a zone id: no need to hand
// anything bigger to the parser, nor to keep it as a cache key.
const MAX_IP_LENGTH = 64;

export async function openGeo(file: string | null, log: Logger): Promise<GeoLocator | null> {
  if (file === null) return null;

  let reader: Reader<CityResponse>;
  try {
    reader = await maxmind.open<CityResponse>(file);
  } catch (err) {
    // ENOENT, EACCES, a gzip'd download or a file that is not an MMDB at all: say which
    // setting and which file, so the operator does not have to guess.
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`geoip.file: cannot open MaxMind database ${JSON.stringify(file)}: ${reason}`, { cause: err });
  }

  const meta = reader.metadata;
  log.info(
    {
      geoip: {
        file,
        databaseType: meta.databaseType,
        buildEpoch: meta.buildEpoch.toISOString(),
        ipVersion: meta.ipVersion,
      },
    },
    'geoip database loaded',
  );
  // A Country database still yields countries, but an ASN or other non-geo database
  // yields nothing; warn instead of failing, since locations are informational.
  if (!/City|Country/i.test(meta.databaseType)) {
    log.warn(
      { geoip: { file, databaseType: meta.databaseType } },
      'geoip database is not a City or Country database; session locations will be empty',
    );
  }
  if (meta.ipVersion !== 6) {
    log.warn({ geoip: { file } }, 'geoip database is IPv4-only; IPv6 clients will have no location');
  }

  let cache: LRUCache<string, GeoLocation | false> | null = new LRUCache({ max: CACHE_MAX });

  const lookup = (ip: string): GeoLocation | null => {
    const rec = reader.get(ip);
    if (!rec) return null;
    // `country` is where the address is used. `registered_country` (where the block is
    // registered) is deliberately not a fallback: it is often a different country.
    const city = rec.city?.names?.en ?? null;
    const country = rec.country?.iso_code ?? null;
    if (city === null && country === null) return null;
    // Frozen because the cache hands the same object to every caller.
    return Object.freeze({ city, country });
  };

  return {
    locate(ip: string): GeoLocation | null {
      // Addresses come from stored sessions; guard against anything odd rather than trust it.
      if (cache === null || typeof ip !== 'string' || ip.length === 0 || ip.length > MAX_IP_LENGTH) return null;
      // validate() first: the reader's own parser does not reject garbage, it walks the
      // tree with whatever bits it produced and could return a wrong location.
      if (!maxmind.validate(ip)) return null;
      const hit = cache.get(ip);
      if (hit !== undefined) return hit === false ? null : hit;
      let loc: GeoLocation | null;
      try {
        loc = lookup(ip);
      } catch {
        // A corrupt database region must not break a session listing.
        loc = null;
      }
      cache.set(ip, loc ?? false);
      return loc;
    },
    close(): void {
      // maxmind holds the file in memory and watches nothing (no watchForUpdates), so
      // dropping our references is all there is to release.
      cache?.clear();
      cache = null;
    },
  };
}
