import { getKubeCluster, type Db } from '@berth/store';
import { clusterSettingsCodec, type ClusterSettings } from './cluster-settings.js';

// Settings change rarely (scale, authorized ranges); a short cache keeps them off every request's path.
const CACHE_MS = 1000;

/** Looks up a local cluster's settings by its API id. */
export class ClusterDirectory {
  private readonly cache = new Map<string, { settings: ClusterSettings | undefined; until: number }>();

  constructor(private readonly db: Db) {}

  async get(clusterId: string): Promise<ClusterSettings | undefined> {
    const hit = this.cache.get(clusterId);
    if (hit && hit.until > Date.now()) return hit.settings;
    const row = await getKubeCluster(this.db, clusterId);
    const settings = row ? clusterSettingsCodec.parse(row.settings) : undefined;
    this.cache.set(clusterId, { settings, until: Date.now() + CACHE_MS });
    return settings;
  }

  forget(clusterId: string): void {
    this.cache.delete(clusterId);
  }
}
