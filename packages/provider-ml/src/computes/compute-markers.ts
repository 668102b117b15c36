import { createHash } from 'node:crypto';
import { ArmError, idKey, parentResourceId, parseResourceId } from '@berth/arm';
import { deleteResourceTree, getResource, insertResource, updateResourceBody, type Db } from '@berth/store';
import type { ComputeBody } from './compute-schemas.js';

const ATTACHMENT_TYPE = 'berth.internal/clusterattachments';
const LEAF_DOMAIN_TYPE = 'berth.internal/leafdomainlabels';

const short = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);

function attachmentId(computeId: string, clusterId: string): string {
  return `${parentResourceId(computeId)!}/clusterAttachments/${short(idKey(clusterId))}`;
}

/** R6's refusal, naming the compute that holds the cluster. */
export function alreadyAttached(clusterId: string, holder: string): ArmError {
  const name = parseResourceId(holder)?.names.at(-1);
  return new ArmError(409, 'ClusterAlreadyAttached', `The cluster ${clusterId} is already attached to this workspace as compute '${name}'. One cluster has one compute per workspace: use that compute, or detach it first (berth ml computetarget detach -n ${name}).`);
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
  await insertResource(db, { id, type: ATTACHMENT_TYPE, parentId: parentResourceId(computeId)!, body: { computeId, clusterId }, now });
}

/** The compute that holds a cluster in this workspace, if any. */
export async function attachedCompute(db: Db, computeId: string, clusterId: string): Promise<string | undefined> {
  const row = await getResource(db, idKey(attachmentId(computeId, clusterId)));
  return row ? (JSON.parse(row.body) as { computeId: string }).computeId : undefined;
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
export async function claimLeafDomain(db: Db, computeId: string, label: string, region: string, overwrite: boolean, newHost: string, now: string): Promise<string> {
  const { subscriptionId } = parseResourceId(computeId)!;
  const id = leafDomainId(subscriptionId, label, region);
  const existing = await getResource(db, idKey(id));
  if (existing) {
    const held = JSON.parse(existing.body) as { host: string; computeId: string | null };
    if (held.computeId && idKey(held.computeId) !== idKey(computeId) && (await getResource(db, idKey(held.computeId))) && !overwrite) {
      throw new ArmError(409, 'LeafDomainLabelInUse', `The leaf domain label '${label}' is used by compute ${held.computeId} (${held.host}) in ${region}. Choose another label, or set overwriteExistingDomain to take it over.`);
    }
    await updateResourceBody(db, existing.id_key, JSON.stringify({ host: held.host, computeId }), now);
    return held.host;
  }
  await insertResource(db, { id, type: LEAF_DOMAIN_TYPE, parentId: `/subscriptions/${subscriptionId}`, body: { host: newHost, computeId }, now });
  return newHost;
}

/** Frees what a compute held: its cluster attachment and its leaf domain label (the host name is kept for a later re-attach). */
export async function releaseMarkers(db: Db, body: ComputeBody): Promise<void> {
  const attachment = idKey(attachmentId(body.id, body.properties.resourceId));
  const row = await getResource(db, attachment);
  if (row && idKey((JSON.parse(row.body) as { computeId: string }).computeId) === idKey(body.id)) await deleteResourceTree(db, attachment);
  const ssl = body.properties.properties.sslConfiguration;
  if (ssl.status === 'Auto' && ssl.leafDomainLabel) {
    const id = idKey(leafDomainId(parseResourceId(body.id)!.subscriptionId, ssl.leafDomainLabel, body.properties.computeLocation));
    const leaf = await getResource(db, id);
    if (leaf) {
      const held = JSON.parse(leaf.body) as { host: string; computeId: string | null };
      if (held.computeId && idKey(held.computeId) === idKey(body.id)) await updateResourceBody(db, id, JSON.stringify({ host: held.host, computeId: null }), new Date().toISOString());
    }
  }
}
