import type { Insertable, Selectable } from 'kysely';

/**
 * Every ARM resource (resource groups included) as its JSON body. Keys are the
 * lower-cased ids and names because ARM compares them case-insensitively.
 */
export interface ResourcesTable {
  id_key: string;
  id: string;
  /** Lower-cased full type, e.g. `microsoft.machinelearningservices/workspaces`. */
  type_key: string;
  subscription_key: string;
  group_key: string;
  /** Lower-cased id of the parent resource (the group for top-level resources). */
  parent_key: string;
  name: string;
  body: string;
  created_at: string;
  updated_at: string;
}
export type ResourceRow = Selectable<ResourcesTable>;
export type NewResource = Insertable<ResourcesTable>;
