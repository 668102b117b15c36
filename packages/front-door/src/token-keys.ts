import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, importPKCS8, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/** Berth's token-signing key: the private key signs, the JWKS (public key, `kid` = its RFC 7638 thumbprint) verifies. */
export interface TokenKeys {
  kid: string;
  privateKey: CryptoKey;
  /** The public JWKS served at `jwks_uri`. */
  jwks: { keys: JWK[] };
  /** jose's key resolver over `jwks`: picks the key by `kid` and `alg`. */
  verificationKeys: ReturnType<typeof createLocalJWKSet>;
}

declare module 'fastify' {
  interface FastifyInstance {
    tokenKeys: TokenKeys;
  }
}

/** Access tokens live an hour, as Entra's do; `expires_in` says 3599 so MSAL never sees a token past its end. */
export const TOKEN_LIFETIME_S = 3600;
/** `nbf` and `iat` are set this far back, as Entra does, so a clock slightly behind still accepts a fresh token. */
const CLOCK_SKEW_S = 300;

/** Loads the PKCS#8 PEM RSA key (from the home folder); with none, makes one that lives as long as this process. */
export async function loadTokenKeys(privateKeyPem?: string): Promise<TokenKeys> {
  const pem = privateKeyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const { kty, n, e } = createPublicKey(pem).export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty: kty!, n: n!, e: e! }, 'sha256');
  const publicJwk: JWK = { kty, n, e, kid, use: 'sig', alg: 'RS256' };
  const jwks = { keys: [publicJwk] };
  return { kid, privateKey: await importPKCS8(pem, 'RS256'), jwks, verificationKeys: createLocalJWKSet(jwks) };
}

/** Signs an access token (RS256, `kid` header) valid from now for TOKEN_LIFETIME_S. */
export async function signAccessToken(keys: TokenKeys, claims: JWTPayload & { aud: string; iss: string; sub: string }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, iat: now - CLOCK_SKEW_S, nbf: now - CLOCK_SKEW_S, exp: now + TOKEN_LIFETIME_S })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keys.kid })
    .sign(keys.privateKey);
}

/** `https://host:port` with no trailing slash. */
export function baseOf(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

/** The audiences Berth serves: ARM's resource ids, and Berth's own URL. */
export function acceptedAudiences(publicUrl: string): string[] {
  const base = baseOf(publicUrl);
  return ['https://management.core.windows.net/', 'https://management.azure.com/', 'https://management.azure.com', base, `${base}/`];
}

export const ADFS_TENANT = 'adfs';

/** The issuer of tokens from a tenant's endpoints: `<url>/adfs` for ADFS, `<url>/<tenant>/v2.0` for Entra-style. */
export function issuerFor(publicUrl: string, tenant: string): string {
  const base = baseOf(publicUrl);
  return tenant === ADFS_TENANT ? `${base}/adfs` : `${base}/${tenant}/v2.0`;
}
