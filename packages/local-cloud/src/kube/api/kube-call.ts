import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '@berth/pki';
import type { ClusterSettings } from '../cluster-settings.js';
import type { KubeObjectStore } from '../object-store.js';
import type { Caller } from './auth.js';
import type { Query } from './parse-request.js';
import type { PodLogs } from './verbs/log.js';

/** One authenticated request to a cluster's API, as every verb receives it. */
export interface KubeCall {
  store: KubeObjectStore;
  clusterId: string;
  settings: ClusterSettings;
  caller: Caller;
  /** Berth's key box: service-account tokens are signed with it. */
  box: SecretBox;
  query: Query;
  dryRun: boolean;
  request: FastifyRequest;
  reply: FastifyReply;
  /** The workload runtime's logs; none when workloads do not run. */
  workloads?: PodLogs;
}
