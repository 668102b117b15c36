/** The provisioning states of a compute while an operation changes it; it ends `Succeeded`, `Failed` or gone. */
const IN_PROGRESS = new Set(['Creating', 'Updating', 'Deleting']);

export function provisioningInProgress(state: string | null | undefined): boolean {
  return IN_PROGRESS.has(state ?? '');
}
