// Article: "Détacher un cluster AKS" — the cluster is not deleted; Berth also removes everything it installed.
import { AksCompute } from '@berth/sdk';
import { getWorkspace, runIfMain } from './setup.js';

export async function main(name = 'attachedaks') {
  const ws = await getWorkspace();
  const aksTarget = new AksCompute(ws, name);
  await aksTarget.detach();
}

runIfMain(import.meta.url, main);
