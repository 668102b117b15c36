/**
 * One HTTP exchange: all `ArmRestClient` needs of a network stack. The package's
 * `#transport` import picks the module that implements it: `transport-node.ts`
 * (`node:https`) by default, `transport-browser.ts` (`fetch`) under the
 * `browser` condition, so a browser bundle carries no Node built-in.
 */
export interface TransportRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
  abortSignal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string | undefined>;
  text: string;
}

/** Resolves with any HTTP answer; rejects with `BerthConnectionError` when there is none, or with the abort reason. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

export interface TransportOptions {
  /** PEM of the CA that signs Berth's certificate. Node only: a browser trusts certificates itself. */
  ca?: string;
}
