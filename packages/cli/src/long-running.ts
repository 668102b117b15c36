import { BerthPoller, OperationFailedError, type ArmRestClient, type RestResponse } from '@berth/sdk';
import { Progress } from './progress.js';

/**
 * Follows the operation a raw ARM call started (its `Azure-AsyncOperation`
 * header), showing progress, unless `noWait`. Returns whether it waited.
 */
export function waitForOperation(client: ArmRestClient, started: RestResponse, what: string, noWait: boolean): Promise<boolean> {
  const statusUrl = started.headers['azure-asyncoperation'];
  if (noWait || !statusUrl) return Promise.resolve(false);
  return followPoller(BerthPoller.forOperationStatus(statusUrl, client), what, false);
}

/** Follows an SDK poller with progress on stderr, unless `noWait`. Returns whether it waited. */
export async function followPoller(poller: BerthPoller<unknown>, what: string, noWait: boolean): Promise<boolean> {
  if (noWait || poller.isDone) return !noWait;
  const progress = new Progress(what);
  const began = Date.now();
  poller.onProgress((state, ms) => progress.update(state, ms));
  try {
    await poller.pollUntilDone();
    progress.done('Succeeded', Date.now() - began);
  } catch (err) {
    if (err instanceof OperationFailedError) progress.done(err.status, Date.now() - began);
    throw err;
  }
  return true;
}
