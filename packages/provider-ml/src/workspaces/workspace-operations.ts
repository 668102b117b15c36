import { deleteResourceTree, type Db } from '@berth/store';
import { remainingSinceStart, type OperationHandler } from '@berth/operations';
import { workspaces } from '../repositories.js';

export const CREATE_WORKSPACE = 'Microsoft.MachineLearningServices/workspaces/write';
export const DELETE_WORKSPACE = 'Microsoft.MachineLearningServices/workspaces/delete';

interface WorkspaceOpData {
  idKey: string;
}

async function setProvisioningState(db: Db, idKey: string, state: string): Promise<void> {
  const workspace = await workspaces.get(db, idKey);
  if (!workspace) return;
  const { body } = workspace;
  body.properties.provisioningState = state;
  await workspaces.update(db, idKey, body, new Date().toISOString());
}

export function workspaceOperationHandlers(settings: { provisioningDelayMs: number }): OperationHandler<WorkspaceOpData>[] {
  return [
    {
      kind: CREATE_WORKSPACE,
      async run({ db, data, operation }) {
        const wait = remainingSinceStart(operation, settings.provisioningDelayMs);
        if (wait > 0) return { next: 'provision', afterMs: wait };
        await setProvisioningState(db, data.idKey, 'Succeeded');
        return { done: true };
      },
      onFailed: ({ db, data }) => setProvisioningState(db, data.idKey, 'Failed'),
    },
    {
      kind: DELETE_WORKSPACE,
      async run({ db, data, operation }) {
        const wait = remainingSinceStart(operation, settings.provisioningDelayMs);
        if (wait > 0) return { next: 'delete', afterMs: wait };
        await deleteResourceTree(db, data.idKey);
        return { done: true };
      },
      onFailed: ({ db, data }) => setProvisioningState(db, data.idKey, 'Failed'),
    },
  ];
}
