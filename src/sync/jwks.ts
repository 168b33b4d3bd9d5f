// Guardian's public keys, cached. A token whose kid we do not know triggers
// one refetch (at most every few seconds, so garbage kids cannot make us
// hammer Guardian); keys rotate by kid (SYNC_PROTOCOL §1).

import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose';
import { errors } from 'jose';
import { getGuardianJson } from './guardian-client.ts';

const REFETCH_COOLDOWN_MS = 1_000;
/** Keys Guardian has dropped (rotation, compromise) leave our cache within this time too. */
const MAX_AGE_MS = 5 * 60_000;

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

export class JwksCache {
  private readonly url: string;
  private readonly ca: string | Buffer | undefined;
  private resolver: KeyResolver | undefined;
  private lastFetch = 0;
  private inflight: Promise<void> | undefined;

  constructor(url: string, ca: string | Buffer | undefined) {
    this.url = url;
    this.ca = ca;
  }

  /** Fetches the key set now (at most one request in flight). */
  refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        this.lastFetch = Date.now();
        const set = (await getGuardianJson(this.url, this.ca)) as JSONWebKeySet;
        this.resolver = createLocalJWKSet(set);
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  /** The key-lookup function for jose's jwtVerify. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (!this.resolver) await this.refresh();
    else if (Date.now() - this.lastFetch > MAX_AGE_MS) await this.refresh().catch(() => undefined); // keep the old set if Guardian is away
    try {
      return await this.resolver!(header, token);
    } catch (err) {
      const unknownKid = err instanceof errors.JWKSNoMatchingKey;
      if (!unknownKid || Date.now() - this.lastFetch < REFETCH_COOLDOWN_MS) throw err;
      await this.refresh();
      return this.resolver!(header, token);
    }
  };
}
