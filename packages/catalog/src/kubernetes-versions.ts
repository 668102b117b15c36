import versionsData from './data/kubernetes-versions.json' with { type: 'json' };
import { findRegion } from './regions.js';

export type SupportPlan = 'KubernetesOfficial' | 'AKSLongTermSupport';

export interface KubernetesPatch {
  /** Full patch version, e.g. "1.32.6". */
  version: string;
  /** Full patch versions this one can upgrade to: newer patches of its minor and patches of the next minor. */
  upgrades: string[];
}

export interface KubernetesMinor {
  /** Minor version, e.g. "1.32". */
  version: string;
  isPreview: boolean;
  isDefault: boolean;
  supportPlan: SupportPlan[];
  /** Newest first. */
  patches: KubernetesPatch[];
}

export interface ResolvedKubernetesVersion {
  version: string;
  minor: string;
  isPreview: boolean;
  /** True only for the region's default patch, the one a cluster gets when it asks for no version. */
  isDefault: boolean;
  ltsOnly: boolean;
  upgrades: string[];
}

/** Orders "1.9" before "1.10", which a string sort gets wrong. */
function compareVersions(a: string, b: string): number {
  const as = a.split('.').map(Number);
  const bs = b.split('.').map(Number);
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const diff = (as[i] ?? 0) - (bs[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

const newestFirst = <T extends { version: string }>(items: T[]): T[] => [...items].sort((a, b) => compareVersions(b.version, a.version));

// JSON typing widens supportPlan to string[]; the tests check the data holds only known plans.
function ordered(minors: typeof versionsData.default): KubernetesMinor[] {
  return newestFirst(minors as KubernetesMinor[]).map((minor) => ({ ...minor, patches: newestFirst(minor.patches) }));
}

const defaultCatalog = ordered(versionsData.default);
const regionCatalogs = new Map<string, KubernetesMinor[]>(Object.entries(versionsData.regions).map(([region, minors]) => [region, ordered(minors)]));

function catalogFor(region: string): KubernetesMinor[] | undefined {
  const known = findRegion(region);
  if (!known) return undefined;
  return regionCatalogs.get(known.name) ?? defaultCatalog;
}

/** An LTS-only minor has left community support: clusters may stay on it only with the LTS plan. */
export function isLtsOnly(minor: KubernetesMinor): boolean {
  return !minor.supportPlan.includes('KubernetesOfficial');
}

// Callers get copies so no one can change the catalog for everyone else.
export function listKubernetesVersions(region: string): KubernetesMinor[] | undefined {
  const catalog = catalogFor(region);
  return catalog && structuredClone(catalog);
}

const defaultPatchOf = (catalog: KubernetesMinor[]): string | undefined => catalog.find((minor) => minor.isDefault)?.patches[0]?.version;

export function defaultKubernetesVersion(region: string): string | undefined {
  const catalog = catalogFor(region);
  return catalog && defaultPatchOf(catalog);
}

/** "1.32" means the newest patch of 1.32, as AKS does when a cluster names only a minor. */
export function resolveKubernetesVersion(region: string, requested: string): ResolvedKubernetesVersion | undefined {
  const catalog = catalogFor(region);
  if (!catalog) return undefined;
  const wanted = requested.trim();
  for (const minor of catalog) {
    const patch = minor.version === wanted ? minor.patches[0] : minor.patches.find((p) => p.version === wanted);
    if (!patch) continue;
    return {
      version: patch.version,
      minor: minor.version,
      isPreview: minor.isPreview,
      isDefault: patch.version === defaultPatchOf(catalog),
      ltsOnly: isLtsOnly(minor),
      upgrades: [...patch.upgrades],
    };
  }
  return undefined;
}

/** LTS-only versions are left out unless asked for, since only clusters on the LTS plan may use them. */
export function supportedKubernetesVersions(region: string, options: { includeLtsOnly?: boolean } = {}): string[] {
  return (catalogFor(region) ?? [])
    .filter((minor) => options.includeLtsOnly || !isLtsOnly(minor))
    .flatMap((minor) => minor.patches.map((patch) => patch.version));
}
