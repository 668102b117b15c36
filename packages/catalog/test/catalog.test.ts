import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// The built package, so the test also proves the JSON lands in dist and loads under Node.
import {
  defaultKubernetesVersion,
  findRegion,
  findVmSize,
  isLtsOnly,
  listKubernetesVersions,
  listRegions,
  listVmSizes,
  normalizeRegionName,
  resolveKubernetesVersion,
  supportedKubernetesVersions,
  type KubernetesMinor,
} from '@berth/catalog';

const minorOf = (version: string): string => version.split('.').slice(0, 2).join('.');
const parts = (version: string): number[] => version.split('.').map(Number);
const isNewer = (a: string, b: string): boolean => {
  const [a1, a2, a3] = parts(a);
  const [b1, b2, b3] = parts(b);
  return a1 !== b1 ? a1 > b1 : a2 !== b2 ? a2 > b2 : a3 > b3;
};

function catalog(region: string): KubernetesMinor[] {
  const minors = listKubernetesVersions(region);
  expect(minors, region).toBeDefined();
  return minors!;
}

describe('data files', () => {
  const dataDir = new URL('../src/data/', import.meta.url);
  it.each(readdirSync(dataDir).filter((f) => f.endsWith('.json')))('%s says where its figures come from', (file) => {
    const data = JSON.parse(readFileSync(new URL(file, dataDir), 'utf8'));
    expect(typeof data.source).toBe('string');
    expect(data.source.length).toBeGreaterThan(20);
  });
});

describe('regions', () => {
  it('lists at least 12 regions with unique names', () => {
    const regions = listRegions();
    expect(regions.length).toBeGreaterThanOrEqual(12);
    expect(new Set(regions.map((r) => r.name)).size).toBe(regions.length);
  });

  it('pairs every region with a region in the catalog, as Azure publishes', () => {
    const names = new Set(listRegions().map((r) => r.name));
    for (const region of listRegions()) expect(names, region.name).toContain(region.pairedRegion);
    const pairs = [
      ['westus', 'eastus'],
      ['westus2', 'westcentralus'],
      ['eastus2', 'centralus'],
      ['northeurope', 'westeurope'],
      ['uksouth', 'ukwest'],
      ['francecentral', 'francesouth'],
      ['japaneast', 'japanwest'],
      ['australiaeast', 'australiasoutheast'],
      ['southeastasia', 'eastasia'],
      ['canadacentral', 'canadaeast'],
    ];
    for (const [a, b] of pairs) {
      expect(findRegion(a)?.pairedRegion).toBe(b);
      expect(findRegion(b)?.pairedRegion).toBe(a);
    }
  });

  it('finds regions by name or display name, ignoring case and spaces', () => {
    expect(findRegion('West US')?.name).toBe('westus');
    expect(findRegion('WESTUS')?.displayName).toBe('West US');
    expect(findRegion('west us 2')?.name).toBe('westus2');
    expect(findRegion('Atlantis')).toBeUndefined();
    expect(normalizeRegionName('West Central US')).toBe('westcentralus');
  });

  it('hands out copies, so callers cannot change the catalog', () => {
    listRegions()[0].displayName = 'changed';
    findRegion('westus')!.pairedRegion = 'changed';
    expect(listRegions()[0].displayName).not.toBe('changed');
    expect(findRegion('westus')?.pairedRegion).toBe('eastus');
  });
});

describe('VM sizes', () => {
  it('carries published figures', () => {
    expect(findVmSize('Standard_D3_v2')).toMatchObject({ vCPUs: 4, memoryGiB: 14, gpus: 0, fpgas: 0 });
    expect(findVmSize('Standard_DS3_v2')).toMatchObject({ vCPUs: 4, memoryGiB: 14 });
    expect(findVmSize('Standard_D4s_v3')).toMatchObject({ vCPUs: 4, memoryGiB: 16 });
    expect(findVmSize('Standard_D96s_v5')).toMatchObject({ vCPUs: 96, memoryGiB: 384 });
    expect(findVmSize('Standard_B2s')).toMatchObject({ vCPUs: 2, memoryGiB: 4 });
    expect(findVmSize('Standard_NC6')).toMatchObject({ gpus: 1, gpuModel: 'NVIDIA Tesla K80' });
    expect(findVmSize('Standard_NC64as_T4_v3')).toMatchObject({ vCPUs: 64, gpus: 4, gpuModel: 'NVIDIA Tesla T4' });
    expect(findVmSize('Standard_NP10s')).toMatchObject({ vCPUs: 10, memoryGiB: 168, fpgas: 1, gpus: 0 });
  });

  it('includes the sizes the control plane relies on', () => {
    const names = [
      ...[1, 2, 3, 4, 5, 11, 12, 13, 14].map((n) => `Standard_D${n}_v2`),
      ...[1, 2, 3, 4, 5].map((n) => `Standard_DS${n}_v2`),
      ...[2, 4, 8, 16, 32, 48, 64].flatMap((n) => [`Standard_D${n}_v3`, `Standard_D${n}s_v3`]),
      ...[2, 4, 8, 16, 32, 48, 64, 96].flatMap((n) => [`Standard_D${n}_v5`, `Standard_D${n}s_v5`]),
      'Standard_NC6',
      'Standard_NC12',
      'Standard_NC24',
      'Standard_NC4as_T4_v3',
      'Standard_NC8as_T4_v3',
      'Standard_NC16as_T4_v3',
      'Standard_NC64as_T4_v3',
      'Standard_NP10s',
      'Standard_NP20s',
      'Standard_NP40s',
      'Standard_B2s',
      'Standard_B2ms',
    ];
    for (const name of names) expect(findVmSize(name), name).toBeDefined();
  });

  it('names a GPU model exactly for sizes with GPUs', () => {
    for (const size of listVmSizes()) {
      expect(size.vCPUs, size.name).toBeGreaterThan(0);
      expect(size.gpuModel !== undefined, size.name).toBe(size.gpus > 0);
    }
  });

  it('looks sizes up case-insensitively', () => {
    expect(findVmSize('standard_d3_V2')?.name).toBe('Standard_D3_v2');
    expect(findVmSize('Standard_D3_v9')).toBeUndefined();
  });
});

describe('Kubernetes versions', () => {
  const regions = listRegions().map((r) => r.name);

  it('has exactly one default per region, a GA patch of 1.32', () => {
    for (const region of regions) {
      const defaults = catalog(region).filter((m) => m.isDefault);
      expect(defaults, region).toHaveLength(1);
      expect(defaults[0].isPreview).toBe(false);
      expect(isLtsOnly(defaults[0])).toBe(false);
      expect(defaultKubernetesVersion(region)).toBe(defaults[0].patches[0].version);
    }
    expect(defaultKubernetesVersion('westus')).toBe('1.32.6');
  });

  it('lists minors and patches newest first, with known support plans', () => {
    for (const region of regions) {
      const minors = catalog(region);
      for (let i = 1; i < minors.length; i++) expect(isNewer(`${minors[i - 1].version}.0`, `${minors[i].version}.0`)).toBe(true);
      for (const minor of minors) {
        expect(minor.supportPlan.length).toBeGreaterThan(0);
        for (const plan of minor.supportPlan) expect(['KubernetesOfficial', 'AKSLongTermSupport']).toContain(plan);
        for (let i = 1; i < minor.patches.length; i++) expect(isNewer(minor.patches[i - 1].version, minor.patches[i].version)).toBe(true);
        for (const patch of minor.patches) expect(minorOf(patch.version)).toBe(minor.version);
      }
    }
  });

  it('upgrades only to newer versions in the same region, never skipping a minor', () => {
    for (const region of regions) {
      const minors = catalog(region);
      const known = new Set(minors.flatMap((m) => m.patches.map((p) => p.version)));
      for (const minor of minors) {
        const [major, minorNumber] = parts(minor.version);
        for (const patch of minor.patches) {
          for (const target of patch.upgrades) {
            expect(known, `${region} ${patch.version} -> ${target}`).toContain(target);
            expect(isNewer(target, patch.version), `${patch.version} -> ${target}`).toBe(true);
            expect([minor.version, `${major}.${minorNumber + 1}`]).toContain(minorOf(target));
          }
        }
      }
    }
  });

  it('offers the next minor to every patch that has one', () => {
    const minors = catalog('westus');
    const versions = minors.map((m) => m.version);
    for (const minor of minors) {
      const [major, minorNumber] = parts(minor.version);
      const next = `${major}.${minorNumber + 1}`;
      if (!versions.includes(next)) continue;
      for (const patch of minor.patches)
        expect(
          patch.upgrades.some((u) => minorOf(u) === next),
          patch.version,
        ).toBe(true);
    }
  });

  it('flags the LTS-only minor and leaves it out unless asked', () => {
    const lts = catalog('westus').find((m) => m.version === '1.28')!;
    expect(lts.supportPlan).toEqual(['AKSLongTermSupport']);
    expect(isLtsOnly(lts)).toBe(true);
    expect(isLtsOnly(catalog('westus').find((m) => m.version === '1.32')!)).toBe(false);
    expect(resolveKubernetesVersion('westus', '1.28')).toMatchObject({ version: '1.28.15', ltsOnly: true });
    expect(supportedKubernetesVersions('westus')).not.toContain('1.28.15');
    expect(supportedKubernetesVersions('westus', { includeLtsOnly: true })).toContain('1.28.15');
  });

  it('lists supported patches newest first, preview included', () => {
    const versions = supportedKubernetesVersions('westus');
    expect(versions[0]).toBe('1.34.1');
    expect(versions).toContain('1.32.6');
    for (let i = 1; i < versions.length; i++) expect(isNewer(versions[i - 1], versions[i])).toBe(true);
  });

  it('varies by region: westcentralus lacks the preview minor', () => {
    expect(catalog('westus').find((m) => m.version === '1.34')?.isPreview).toBe(true);
    expect(catalog('westcentralus').map((m) => m.version)).not.toContain('1.34');
    expect(resolveKubernetesVersion('westcentralus', '1.34')).toBeUndefined();
    expect(supportedKubernetesVersions('westcentralus')[0]).toBe('1.33.3');
    expect(resolveKubernetesVersion('westcentralus', '1.33.3')?.upgrades).toEqual([]);
    expect(resolveKubernetesVersion('westus', '1.33.3')?.upgrades).toEqual(['1.34.0', '1.34.1']);
  });

  it('resolves a minor to its newest patch and a patch to itself', () => {
    expect(resolveKubernetesVersion('westus', '1.32')).toEqual({
      version: '1.32.6',
      minor: '1.32',
      isPreview: false,
      isDefault: true,
      ltsOnly: false,
      upgrades: ['1.33.1', '1.33.2', '1.33.3'],
    });
    expect(resolveKubernetesVersion('West US', '1.32.5')).toMatchObject({ version: '1.32.5', isDefault: false });
    expect(resolveKubernetesVersion('westus', '1.34')).toMatchObject({ version: '1.34.1', isPreview: true });
    expect(resolveKubernetesVersion('westus', '1.32.99')).toBeUndefined();
    expect(resolveKubernetesVersion('westus', '1.3')).toBeUndefined();
  });

  it('answers undefined for an unknown region', () => {
    expect(listKubernetesVersions('atlantis')).toBeUndefined();
    expect(defaultKubernetesVersion('atlantis')).toBeUndefined();
    expect(resolveKubernetesVersion('atlantis', '1.32')).toBeUndefined();
    expect(supportedKubernetesVersions('atlantis')).toEqual([]);
  });

  it('hands out copies, so callers cannot change the catalog', () => {
    catalog('westus')[0].patches.length = 0;
    expect(catalog('westus')[0].patches.length).toBeGreaterThan(0);
  });
});
