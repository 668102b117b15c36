import type { ArmErrorDetail } from '../arm-error.js';
import { contains, isIPv4, offsetOf, overlaps, parseCidr } from './cidr.js';

function detail(code: string, target: string, message: string): ArmErrorDetail {
  return { code, target, message };
}

/** Cross-field network rules, shared with the ML provider's `aksNetworkingConfiguration` checks. */
export function networkProblems(
  n: { serviceCidr?: string; dnsServiceIP?: string; dockerBridgeCidr?: string; podCidr?: string },
  subnetCidr: string,
  prefix: string,
): ArmErrorDetail[] {
  const problems: ArmErrorDetail[] = [];
  const subnet = parseCidr(subnetCidr);
  const service = n.serviceCidr === undefined ? undefined : parseCidr(n.serviceCidr);
  if (n.serviceCidr !== undefined && !service) {
    problems.push(
      detail(
        'InvalidParameter',
        `${prefix}.serviceCidr`,
        `serviceCidr '${n.serviceCidr}' is not a valid IPv4 CIDR (for example 10.0.0.0/16; the address must be the network's first).`,
      ),
    );
  }
  if (service && subnet && overlaps(service, subnet)) {
    problems.push(
      detail(
        'ServiceCidrOverlapExistingSubnetsCidr',
        `${prefix}.serviceCidr`,
        `serviceCidr ${service.text} overlaps the cluster's subnet ${subnet.text}. Choose a range outside the subnet, such as 10.0.0.0/16.`,
      ),
    );
  }
  const pod = n.podCidr === undefined ? undefined : parseCidr(n.podCidr);
  if (n.podCidr !== undefined && !pod) problems.push(detail('InvalidParameter', `${prefix}.podCidr`, `podCidr '${n.podCidr}' is not a valid IPv4 CIDR.`));
  if (service && pod && overlaps(service, pod)) {
    problems.push(detail('InvalidParameter', `${prefix}.serviceCidr`, `serviceCidr ${service.text} overlaps podCidr ${pod.text}.`));
  }
  if (n.dnsServiceIP !== undefined) {
    if (!isIPv4(n.dnsServiceIP)) {
      problems.push(detail('InvalidParameter', `${prefix}.dnsServiceIP`, `dnsServiceIP '${n.dnsServiceIP}' is not an IPv4 address.`));
    } else if (service && !contains(service, n.dnsServiceIP)) {
      problems.push(
        detail(
          'InvalidDNSServiceIP',
          `${prefix}.dnsServiceIP`,
          `dnsServiceIP ${n.dnsServiceIP} is not inside serviceCidr ${service.text}. Pick an address in that range, such as the tenth (${service.text.replace(/\.\d+\/\d+$/, '.10')}).`,
        ),
      );
    } else if (service && offsetOf(service, n.dnsServiceIP) <= 1) {
      problems.push(
        detail(
          'InvalidDNSServiceIP',
          `${prefix}.dnsServiceIP`,
          `dnsServiceIP ${n.dnsServiceIP} must not be the network address or the first address of serviceCidr ${service.text}, which Kubernetes gives to its own API service.`,
        ),
      );
    }
  }
  if (n.dockerBridgeCidr !== undefined) {
    const bridge = parseCidr(n.dockerBridgeCidr) ?? (/^[\d.]+\/\d+$/.test(n.dockerBridgeCidr) ? looseCidr(n.dockerBridgeCidr) : undefined);
    if (!bridge) {
      problems.push(
        detail(
          'InvalidParameter',
          `${prefix}.dockerBridgeCidr`,
          `dockerBridgeCidr '${n.dockerBridgeCidr}' is not a valid IPv4 CIDR (for example 172.17.0.1/16).`,
        ),
      );
    } else {
      if (subnet && overlaps(bridge, subnet))
        problems.push(
          detail('InvalidParameter', `${prefix}.dockerBridgeCidr`, `dockerBridgeCidr ${n.dockerBridgeCidr} overlaps the cluster's subnet ${subnet.text}.`),
        );
      if (service && overlaps(bridge, service))
        problems.push(detail('InvalidParameter', `${prefix}.dockerBridgeCidr`, `dockerBridgeCidr ${n.dockerBridgeCidr} overlaps serviceCidr ${service.text}.`));
    }
  }
  return problems;
}

/** The docker bridge is given as an address with its prefix (172.17.0.1/16), not a network address. */
function looseCidr(text: string) {
  const [ip, bits] = text.split('/');
  const prefix = Number(bits);
  if (!isIPv4(ip) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  return { text, base: n - (n % size), prefix, size };
}
