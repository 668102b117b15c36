import type { Db } from '@berth/store';
import type { OperationsEngine } from '@berth/operations';
import type { Principal } from './roles.js';

/** Shared services every route plugin may use. */
export interface BerthContext {
  db: Db;
  engine: OperationsEngine;
  /** The address clients reach Berth at, for every link Berth hands out; set once the server listens. */
  publicUrl: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    berth: BerthContext;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}
