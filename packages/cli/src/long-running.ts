import { OperationFailedError, type ArmRestClient, type RestResponse } from '@berth/sdk';
import { Progress } from './progress.js';

/**
 * Follows the operation a call started (its `Azure-AsyncOperation` header),
 * showing progress, unless `noWait`. Returns whether it waited.
 */
export async function waitForOperation(client: ArmRestClient, started: RestResponse, what: string, noWait: boolean): Promise<boolean> {
  const statusUrl = started.headers['azure-asyncoperation'];
  if (noWait || !statusUrl) return false;
  const progress = new Progress(what);
  const began = Date.now();
  try {
    await client.pollOperation(statusUrl, { onProgress: (s, ms) => progress.update(s, ms) });
    progress.done('Succeeded', Date.now() - began);
  } catch (err) {
    if (err instanceof OperationFailedError) progress.done(err.status, Date.now() - began);
    throw err;
  }
  return true;
}
