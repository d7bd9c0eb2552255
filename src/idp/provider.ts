// One upstream OpenID Provider as the gateway sees it (SPEC §12): discovery, the
// authorization request (code + PKCE S256, state, nonce, prompt/max_age for step-up), the
// code redemption with ID token validation (openid-client: iss, aud, exp, iat, nonce,
// state, auth_time against max_age; and the signature, with enableNonRepudiationChecks),
// userinfo when the ID token lacks a mapped claim, and the JWKS for logout tokens.
//
// A provider that cannot be reached never stops the gateway: discovery runs at start in
// the background and again on demand, at most once every 10 s while it fails; until it
// succeeds the provider is "unavailable" and its login button answers 503.
import * as oidc from 'openid-client';
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { IdentityProviderConfig } from '../config/types.js';
import type { Logger } from '../util/log.js';
import type { Clock } from '../util/clock.js';

/** The provider could not be reached (discovery failed): 503 for its button. */
export class IdpUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdpUnavailableError';
  }
}

/** The IdP's answer was refused (its error, a bad ID token, a bad state): a 4xx page, no session. */
export class IdpResponseError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IdpResponseError';
  }
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  prompt: 'login' | null;
  maxAge: number | null;
}

export interface RedeemedLogin {
  claims: Record<string, unknown>;
  idToken: string;
}

const RETRY_MS = 10_000;
/** SPEC §12: an unknown kid refetches the JWKS at most once a minute. */
const JWKS_COOLDOWN_MS = 60_000;
const HTTP_TIMEOUT_S = 5;

export class OidcProvider {
  #config: oidc.Configuration | null = null;
  #pending: Promise<oidc.Configuration> | null = null;
  #failedAt = -Infinity;
  #jwks: JWTVerifyGetKey | null = null;

  constructor(
    readonly cfg: IdentityProviderConfig,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  get ready(): boolean {
    return this.#config !== null;
  }

  /** Discovery, once; a failure is remembered for RETRY_MS so a down IdP is not hammered. */
  configuration(): Promise<oidc.Configuration> {
    if (this.#config) return Promise.resolve(this.#config);
    if (this.#pending) return this.#pending;
    if (this.clock.now() - this.#failedAt < RETRY_MS)
      return Promise.reject(new IdpUnavailableError(`identity provider ${this.cfg.id} is unavailable`));
    const insecure = this.cfg.issuer.startsWith('http:');
    this.#pending = oidc
      .discovery(
        new URL(this.cfg.issuer),
        this.cfg.clientId,
        this.cfg.clientSecret ?? undefined,
        this.cfg.clientSecret === null ? oidc.None() : oidc.ClientSecretBasic(this.cfg.clientSecret),
        {
          timeout: HTTP_TIMEOUT_S,
          // http issuers are for loopback development IdPs; preflight (check-config, start) warns about them.
          execute: [...(insecure ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
        },
      )
      .then(
        (c) => {
          this.#config = c;
          this.#pending = null;
          this.log.info({ provider: this.cfg.id, issuer: this.cfg.issuer }, 'identity provider discovered');
          return c;
        },
        (err: unknown) => {
          this.#pending = null;
          this.#failedAt = this.clock.now();
          this.log.warn(
            { provider: this.cfg.id, issuer: this.cfg.issuer, err: (err as Error).message },
            'identity provider unavailable',
          );
          throw new IdpUnavailableError(`identity provider ${this.cfg.id} is unavailable`, { cause: err });
        },
      );
    return this.#pending;
  }

  /** Starts discovery without waiting (gateway start): a failure only logs. */
  warmUp(): void {
    this.configuration().catch(() => {});
  }

  async authorizationUrl(r: AuthorizationRequest): Promise<URL> {
    const config = await this.configuration();
    const params: Record<string, string> = {
      redirect_uri: r.redirectUri,
      scope: this.cfg.scopes.join(' '),
      response_type: 'code',
      state: r.state,
      nonce: r.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(r.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (r.prompt) params.prompt = r.prompt;
    if (r.maxAge !== null) params.max_age = String(r.maxAge);
    return oidc.buildAuthorizationUrl(config, params);
  }

  /**
   * Redeems the code of the callback URL and validates the ID token. Any refusal becomes
   * IdpResponseError (the IdP's own `error`, or what failed); the IdP being unreachable
   * now becomes IdpUnavailableError.
   */
  async redeem(
    callbackUrl: URL,
    checks: { state: string; nonce: string; codeVerifier: string; maxAge: number | null },
  ): Promise<RedeemedLogin> {
    const config = await this.configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        pkceCodeVerifier: checks.codeVerifier,
        idTokenExpected: true,
        ...(checks.maxAge !== null ? { maxAge: checks.maxAge } : {}),
      });
    } catch (err) {
      throw toResponseError(err);
    }
    const claims = tokens.claims();
    if (!claims || !tokens.id_token)
      throw new IdpResponseError('no_id_token', 'the identity provider sent no ID token');
    const merged: Record<string, unknown> = { ...claims };
    // Roles too: many IdPs send groups only from userinfo. A user with no groups costs one userinfo call per login.
    const missing = Object.values(this.cfg.claims).some((name) => merged[name] === undefined && !name.includes('.'));
    if (missing && tokens.access_token && config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        for (const [k, v] of Object.entries(info)) if (merged[k] === undefined) merged[k] = v;
      } catch (err) {
        throw toResponseError(err);
      }
    }
    return { claims: merged, idToken: tokens.id_token };
  }

  /** The provider's keys for logout tokens (jose; an unknown kid refetches at most once a minute). */
  async jwks(): Promise<JWTVerifyGetKey> {
    if (this.#jwks) return this.#jwks;
    const meta = (await this.configuration()).serverMetadata();
    if (!meta.jwks_uri) throw new IdpUnavailableError(`identity provider ${this.cfg.id} publishes no jwks_uri`);
    this.#jwks = createRemoteJWKSet(new URL(meta.jwks_uri), {
      cooldownDuration: JWKS_COOLDOWN_MS,
      timeoutDuration: HTTP_TIMEOUT_S * 1000,
    });
    return this.#jwks;
  }

  /** RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0), or null when the IdP has none. */
  async endSessionUrl(idTokenHint: string | null, postLogoutRedirectUri: string): Promise<URL | null> {
    const config = await this.configuration();
    if (!config.serverMetadata().end_session_endpoint) return null;
    const params: Record<string, string> = {
      post_logout_redirect_uri: postLogoutRedirectUri,
      client_id: this.cfg.clientId,
    };
    if (idTokenHint) params.id_token_hint = idTokenHint;
    return oidc.buildEndSessionUrl(config, params);
  }
}

function toResponseError(err: unknown): Error {
  if (err instanceof oidc.AuthorizationResponseError)
    return new IdpResponseError(`idp_error:${err.error}`, err.error_description ?? err.error, { cause: err });
  if (err instanceof oidc.ResponseBodyError)
    return new IdpResponseError(`idp_error:${err.error}`, err.error_description ?? err.error, { cause: err });
  // A refused ID token or response (state, nonce, iss, aud, exp, signature…): oauth4webapi's coded errors.
  const e = err as Error & { code?: string };
  if (e instanceof TypeError && e.code === undefined)
    return new IdpUnavailableError(`identity provider request failed: ${e.message}`, { cause: err });
  return new IdpResponseError(`invalid_response:${e.code ?? e.name}`, e.message, { cause: err });
}
