import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClusterRole, ClusterSettings } from '../cluster-settings.js';
import type { KubeObjectStore } from '../object-store.js';
import type { Query } from './parse-request.js';
import type { PodLogs } from './verbs/log.js';

/** One authenticated request to a cluster's API, as every verb receives it. */
export interface KubeCall {
  store: KubeObjectStore;
  clusterId: string;
  settings: ClusterSettings;
  role: ClusterRole;
  query: Query;
  dryRun: boolean;
  request: FastifyRequest;
  reply: FastifyReply;
  /** The workload runtime's logs; none when workloads do not run. */
  workloads?: PodLogs;
}
