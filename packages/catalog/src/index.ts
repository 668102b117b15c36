export { findRegion, listRegions, normalizeRegionName } from './regions.js';
export type { Region } from './regions.js';
export { findVmSize, listVmSizes } from './vm-sizes.js';
export type { VmSize } from './vm-sizes.js';
export { defaultKubernetesVersion, isLtsOnly, listKubernetesVersions, resolveKubernetesVersion, supportedKubernetesVersions } from './kubernetes-versions.js';
export type { KubernetesMinor, KubernetesPatch, ResolvedKubernetesVersion, SupportPlan } from './kubernetes-versions.js';
