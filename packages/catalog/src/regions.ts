import regionsData from './data/regions.json' with { type: 'json' };

export interface Region {
  name: string;
  displayName: string;
  pairedRegion: string;
}

const regions: readonly Region[] = regionsData.regions;

/** ARM location names are the display name lower-cased without spaces ("West US 2" -> "westus2"). */
export function normalizeRegionName(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

// Keyed by both forms so callers may pass either an ARM location or what the portal shows.
const byName = new Map<string, Region>();
for (const region of regions) {
  byName.set(region.name, region);
  byName.set(normalizeRegionName(region.displayName), region);
}

// Callers get copies so no one can change the catalog for everyone else.
export function listRegions(): Region[] {
  return regions.map((region) => ({ ...region }));
}

export function findRegion(nameOrDisplayName: string): Region | undefined {
  const region = byName.get(normalizeRegionName(nameOrDisplayName));
  return region && { ...region };
}
