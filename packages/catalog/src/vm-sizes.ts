import vmSizesData from './data/vm-sizes.json' with { type: 'json' };

export interface VmSize {
  name: string;
  family: string;
  vCPUs: number;
  memoryGiB: number;
  gpus: number;
  /** Present only for GPU sizes. */
  gpuModel?: string;
  fpgas: number;
}

const vmSizes: readonly VmSize[] = vmSizesData.vmSizes;

// ARM treats VM size names case-insensitively ("standard_d3_v2" is accepted).
const byName = new Map(vmSizes.map((size) => [size.name.toLowerCase(), size]));

// Callers get copies so no one can change the catalog for everyone else.
export function listVmSizes(): VmSize[] {
  return vmSizes.map((size) => ({ ...size }));
}

export function findVmSize(name: string): VmSize | undefined {
  const size = byName.get(name.trim().toLowerCase());
  return size && { ...size };
}
