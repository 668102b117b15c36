import type { SecretBox } from '@berth/pki';
import { getResourceSecret, putResourceSecret, type Db } from '@berth/store';

/** What a compute keeps out of its body, encrypted: kubeconfigs, TLS material, its creation request. */
export type ComputeSecretName = 'request' | 'adminKubeConfig' | 'userKubeConfig' | 'tlsCert' | 'tlsKey' | 'autoFqdn' | 'clusterPoller';

export class ComputeSecrets {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async get(idKey: string, name: ComputeSecretName): Promise<string | undefined> {
    const sealed = await getResourceSecret(this.db, idKey, name);
    return sealed === undefined ? undefined : this.box.decrypt(sealed);
  }

  async put(idKey: string, name: ComputeSecretName, value: string, db: Db = this.db): Promise<void> {
    await putResourceSecret(db, idKey, name, this.box.encrypt(value));
  }
}
