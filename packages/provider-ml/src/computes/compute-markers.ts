import { createHash } from 'node:crypto';
import { ArmError, idKey, parentResourceId, parseResourceId } from '@berth/arm';
import { Type } from '@sinclair/typebox';
import type { ComputeBody } from '@berth/shapes';
import { deleteResourceTree, getResource, resourceRepository, type Db } from '@berth/store';

const attachments = resourceRepository('berth.internal/clusterattachments', Type.Object({ computeId: Type.String(), clusterId: Type.String() }));
/** A label's host name outlives its compute (`computeId` null), so a later re-attach gets the same name. */
const leafDomains = resourceRepository(
  'berth.internal/leafdomainlabels',
  Type.Object({ host: Type.String(), computeId: Type.Union([Type.String(), Type.Null()]) }),
);

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

function attachmentId(computeId: string, clusterId: string): string {
  return `${parentResourceId(computeId)!}/clusterAttachments/${short(idKey(clusterId))}`;
}

/** R6's refusal, naming the compute that holds the cluster. */
export function alreadyAttached(clusterId: string, holder: string): ArmError {
  const name = parseResourceId(holder)?.names.at(-1);
  return new ArmError(
    409,
    'ClusterAlreadyAttached',
    `The cluster ${clusterId} is already attached to this workspace as compute '${name}'. One cluster has one compute per workspace: use that compute, or detach it first (berth ml computetarget detach -n ${name}).`,
  );
}

/**
 * R6: one cluster, one compute per workspace. A marker row keyed by workspace
 * and cluster, inserted in the compute's transaction: a cluster already held
 * is a 409 naming its compute; two requests racing for it both insert, and the
 * loser's transaction fails with a unique violation (its caller retries it,
 * and then sees the holder).
 */
export async function claimCluster(db: Db, computeId: string, clusterId: string, now: string): Promise<void> {
  const holder = await attachedCompute(db, computeId, clusterId);
  if (holder) throw alreadyAttached(clusterId, holder);
  const id = attachmentId(computeId, clusterId);
  await attachments.insert(db, { id, parentId: parentResourceId(computeId)!, body: { computeId, clusterId }, now });
}

/** The compute that holds a cluster in this workspace, if any. */
export async function attachedCompute(db: Db, computeId: string, clusterId: string): Promise<string | undefined> {
  return (await attachments.get(db, idKey(attachmentId(computeId, clusterId))))?.body.computeId;
}

function leafDomainId(subscriptionId: string, label: string, region: string): string {
  return `/subscriptions/${subscriptionId}/providers/Berth.Internal/leafDomainLabels/${label}.${region}`;
}

/**
 * R8: a leaf domain label belongs to one compute at a time. A label whose
 * compute is gone is free again, with its host name; `overwriteExistingDomain`
 * takes it over from a compute that still holds it. Returns the host to use.
 * Two computes racing for a new label both insert: the loser's transaction
 * fails with a unique violation, and its caller's retry sees the label taken.
 */
export async function claimLeafDomain(
  db: Db,
  computeId: string,
  label: string,
  region: string,
  overwrite: boolean,
  newHost: string,
  now: string,
): Promise<string> {
  const { subscriptionId } = parseResourceId(computeId)!;
  const id = leafDomainId(subscriptionId, label, region);
  const existing = await leafDomains.get(db, idKey(id));
  if (existing) {
    const held = existing.body;
    if (held.computeId && idKey(held.computeId) !== idKey(computeId) && (await getResource(db, idKey(held.computeId))) && !overwrite) {
      throw new ArmError(
        409,
        'LeafDomainLabelInUse',
        `The leaf domain label '${label}' is used by compute ${held.computeId} (${held.host}) in ${region}. Choose another label, or set overwriteExistingDomain to take it over.`,
      );
    }
    await leafDomains.update(db, existing.row.id_key, { host: held.host, computeId }, now);
    return held.host;
  }
  await leafDomains.insert(db, { id, parentId: `/subscriptions/${subscriptionId}`, body: { host: newHost, computeId }, now });
  return newHost;
}

/** Frees what a compute held: its cluster attachment and its leaf domain label (the host name is kept for a later re-attach). */
export async function releaseMarkers(db: Db, body: ComputeBody): Promise<void> {
  const attachment = idKey(attachmentId(body.id, body.properties.resourceId));
  const held = await attachments.get(db, attachment);
  if (held && idKey(held.body.computeId) === idKey(body.id)) await deleteResourceTree(db, attachment);
  const ssl = body.properties.properties.sslConfiguration;
  if (ssl.status === 'Auto' && ssl.leafDomainLabel) {
    const id = idKey(leafDomainId(parseResourceId(body.id)!.subscriptionId, ssl.leafDomainLabel, body.properties.computeLocation));
    const leaf = await leafDomains.get(db, id);
    if (leaf) {
      const { host, computeId } = leaf.body;
      if (computeId && idKey(computeId) === idKey(body.id)) await leafDomains.update(db, id, { host, computeId: null }, new Date().toISOString());
    }
  }
}
