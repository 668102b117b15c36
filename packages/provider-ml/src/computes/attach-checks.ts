import { addressInRanges, ArmError, parseResourceId, type ArmErrorDetail } from '@berth/arm';
import type { ManagedCluster } from '@azure/arm-containerservice';
import type { CloudAccess } from './cloud-access.js';
import { purposeProblems, type ComputeSpec } from '@berth/compute-rules';

/**
 * Pre-flight checks of the cluster an attach names, read through the
 * ContainerService API: R4 (same subscription, exists), its Kubernetes version
 * (GA or preview, else the supported ones are listed), R2 (vCPUs for
 * production) and R10 (its authorized IP ranges admit Berth's control plane).
 */
export async function attachProblems(
  cloud: CloudAccess,
  spec: ComputeSpec,
  workspaceSubscription: string,
  controlPlaneAddresses: string[],
): Promise<{ problems: ArmErrorDetail[]; warnings: string[]; cluster?: ManagedCluster }> {
  const parts = parseResourceId(spec.resourceId!)!;
  const target = 'properties.resourceId';
  if (parts.subscriptionId.toLowerCase() !== workspaceSubscription.toLowerCase()) {
    return {
      problems: [
        {
          code: 'ClusterInDifferentSubscription',
          target,
          message: `The cluster is in subscription ${parts.subscriptionId} but the workspace is in ${workspaceSubscription}; an attached cluster must be in the workspace's subscription (R4).`,
        },
      ],
      warnings: [],
    };
  }
  let cluster: ManagedCluster | undefined;
  let supported: string[];
  try {
    cluster = await cloud.getCluster(parts.subscriptionId, parts.resourceGroup, parts.names[0]);
    if (!cluster) {
      return {
        problems: [
          {
            code: 'ClusterNotFound',
            target,
            message: `No managed cluster ${spec.resourceId} exists. Check the id with \`berth aks show -g ${parts.resourceGroup} -n ${parts.names[0]} --query id\`.`,
          },
        ],
        warnings: [],
      };
    }
    supported = await cloud.supportedVersions(parts.subscriptionId, cluster.location);
  } catch (err) {
    throw new ArmError(502, 'CloudUnavailable', `Could not read the cluster through the ContainerService API: ${(err as Error).message}`);
  }
  const problems: ArmErrorDetail[] = [];
  if (cluster.provisioningState !== 'Succeeded') {
    problems.push({
      code: 'ClusterNotReady',
      target,
      message: `The cluster's provisioningState is ${cluster.provisioningState}; attach it once it is Succeeded.`,
    });
  }
  const version = cluster.currentKubernetesVersion ?? cluster.kubernetesVersion ?? '';
  if (!supported.includes(version)) {
    problems.push({
      code: 'UnsupportedKubernetesVersion',
      target,
      message: `The cluster runs Kubernetes ${version}, which is not currently supported for attaching. Supported versions in ${cluster.location}: ${supported.join(', ')}. Upgrade the cluster first.`,
    });
  }
  const pools = (cluster.agentPoolProfiles ?? []).map((p) => ({ count: p.count ?? 0, vmSize: p.vmSize ?? '' }));
  const r2 = purposeProblems(spec.clusterPurpose, pools, 'properties.properties.clusterPurpose');
  problems.push(...r2.problems);
  const warnings = r2.warnings;
  const ranges = cluster.apiServerAccessProfile?.authorizedIPRanges ?? [];
  if (ranges.length > 0 && !controlPlaneAddresses.some((a) => addressInRanges(a, ranges))) {
    problems.push({
      code: 'AuthorizedIpRangesExcludeControlPlane',
      target,
      message: `The cluster's API server only admits ${ranges.join(', ')}, which excludes Berth's control plane (${controlPlaneAddresses.join(', ')}); Berth could not install or update the front end (R10). Add ${controlPlaneAddresses[0]} to apiServerAccessProfile.authorizedIPRanges.`,
    });
  }
  return { problems, warnings, cluster };
}
