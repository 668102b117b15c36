import type { Selectable } from 'kysely';

/** Values a resource keeps out of its body (kubeconfigs, TLS keys, the request it was created from), always encrypted. */
export interface ResourceSecretsTable {
  id_key: string;
  name: string;
  /** Ciphertext from the secret box; never plaintext. */
  value: string;
}
export type ResourceSecretRow = Selectable<ResourceSecretsTable>;
