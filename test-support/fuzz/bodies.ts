import fc from 'fast-check';

/** A request body as the fuzzer sends it: JSON text (or any text) and the content type it claims. */
export interface BodyPlan {
  what: string;
  text?: string;
  /** A binary body, hex-encoded (protobuf). */
  binary?: string;
  contentType?: string;
}

/** A JSON Schema as @fastify/swagger writes it into the OpenAPI document (OpenAPI 3.0 dialect: `nullable`, `enum` for `const`). */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

/**
 * Plausible strings by property name, so that schema-made bodies get past the
 * schema to the rules behind it. `{{...}}` placeholders are filled at send
 * time with the run's values (subscription, cluster ids).
 */
const KNOWN_STRINGS: Record<string, string[]> = {
  location: ['westus', 'eastus', 'WestUS', 'nowhere'],
  computeLocation: ['westus', 'eastus'],
  vmSize: ['Standard_D3_v2', 'Standard_D2_v2', 'Standard_NC6', 'Standard_Nope'],
  agentVmSize: ['Standard_D3_v2', 'Standard_D2_v2', 'Standard_NC6'],
  computeType: ['AKS', 'Kubernetes', 'AmlCompute', 'aks'],
  resourceId: [
    '{{clusterId}}',
    '{{kubeClusterId}}',
    '/subscriptions/{{sub}}/resourceGroups/fuzz/providers/Microsoft.ContainerService/managedClusters/nope',
    'not-an-id',
  ],
  kubernetesVersion: ['1.30.4', '1.29.8', '1.99.0', 'latest'],
  orchestratorVersion: ['1.30.4', '1.29.8'],
  subscription: ['{{sub}}', '00000000-0000-0000-0000-000000000000'],
  subscriptionId: ['{{sub}}'],
  name: ['nodepool1', 'np', 'fuzz-token'],
  mode: ['System', 'User'],
  osType: ['Linux', 'Windows'],
  loadBalancerSubnet: ['default', 'subnet-1'],
  leafDomainLabel: ['myservice', 'a'],
  cname: ['www.example.com'],
  serviceCidr: ['10.0.0.0/16', '10.0.0.0/33', 'garbage'],
  dnsServiceIP: ['10.0.0.10', '10.1.0.10'],
  dockerBridgeCidr: ['172.17.0.1/16'],
  subnetId: ['/subscriptions/{{sub}}/resourceGroups/fuzz/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default'],
  policyDefinitionId: [
    '/providers/Microsoft.Authorization/policyDefinitions/6c112d4e-5bc7-47ae-a041-ea2d9dccd749',
    '/providers/Microsoft.Authorization/policyDefinitions/unknown',
  ],
  scope: ['/subscriptions/{{sub}}', '/subscriptions/{{sub}}/resourceGroups/fuzz'],
  displayName: ['fuzz'],
  workload: ['Production', 'DevTest'],
};

function stringArb(name: string, s: JsonSchema): fc.Arbitrary<string> {
  const known = KNOWN_STRINGS[name];
  const max = Math.min(s.maxLength ?? 24, 24);
  const min = Math.min(s.minLength ?? 0, max);
  const free = fc.string({ minLength: min, maxLength: max });
  const plain = fc.stringMatching(/^[a-z][a-z0-9-]{1,10}$/);
  return known
    ? fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: free })
    : fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: free });
}

function intArb(s: JsonSchema): fc.Arbitrary<number> {
  const min = s.minimum ?? -1;
  const max = s.maximum ?? 6;
  // Small counts mostly: a fuzzed 1,000-node cluster would only slow the run down.
  return fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: Math.max(min, -1), max: Math.max(Math.min(max, 6), Math.max(min, -1)) }) },
    { weight: 1, arbitrary: fc.integer({ min, max: Math.max(min, max) }) },
  );
}

/** Values that mostly satisfy `schema`: every required property, a random subset of the others. */
export function valueOf(schema: JsonSchema, name = '', depth = 0): fc.Arbitrary<unknown> {
  const options = schema.anyOf ?? schema.oneOf;
  let arb: fc.Arbitrary<unknown>;
  if (options) arb = fc.oneof(...options.map((o) => valueOf(o, name, depth)));
  else if (schema.enum) arb = fc.constantFrom(...schema.enum);
  else {
    switch (schema.type) {
      case 'object': {
        const props = schema.properties ?? {};
        const shape = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, valueOf(v, k, depth + 1)]));
        const record = fc.record(shape, { requiredKeys: (schema.required ?? []).filter((k) => k in props) });
        const extra =
          typeof schema.additionalProperties === 'object' && depth < 4
            ? fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), valueOf(schema.additionalProperties, '', depth + 1), { maxKeys: 3 })
            : fc.constant({});
        arb = fc.tuple(record, extra).map(([r, e]) => ({ ...e, ...r }));
        break;
      }
      case 'array':
        arb = depth < 5 ? fc.array(valueOf(schema.items ?? {}, name, depth + 1), { maxLength: 3 }) : fc.constant([]);
        break;
      case 'string':
        arb = stringArb(name, schema);
        break;
      case 'integer':
        arb = intArb(schema);
        break;
      case 'number':
        arb = fc.oneof(intArb(schema), fc.double({ noNaN: true, noDefaultInfinity: true }));
        break;
      case 'boolean':
        arb = fc.boolean();
        break;
      default:
        arb = fc.oneof(fc.constant({}), fc.string({ maxLength: 5 }));
    }
  }
  return schema.nullable ? fc.option(arb, { nil: null, freq: 8 }) : arb;
}

/** Every path to a value inside `v` (the root included), for mutations aimed at one spot. */
function pathsOf(v: unknown, at: string[] = [], out: string[][] = []): string[][] {
  out.push(at);
  if (v && typeof v === 'object') for (const [k, child] of Object.entries(v)) pathsOf(child, [...at, k], out);
  return out;
}

function replaceAt(root: unknown, path: string[], replace: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replace(root);
  const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
  copy[path[0]] = replaceAt(copy[path[0]], path.slice(1), replace);
  return copy;
}

function deleteAt(root: unknown, path: string[]): unknown {
  if (path.length === 0) return root;
  if (path.length === 1) {
    const copy: any = Array.isArray(root) ? [...root] : { ...(root as object) };
    if (Array.isArray(copy)) copy.splice(Number(path[0]), 1);
    else delete copy[path[0]];
    return copy;
  }
  return replaceAt(root, path.slice(0, -1), (parent) => deleteAt(parent, path.slice(-1)));
}

function wrongTypeFor(old: unknown, pick: number): unknown {
  const choices: unknown[] = [42, -1, 1.5, 'text', '', true, null, [], [1, 'a'], {}, { nested: { x: 1 } }, 1e308];
  const differing = choices.filter((c) => typeof c !== typeof old || Array.isArray(c) !== Array.isArray(old) || (c === null) !== (old === null));
  return differing[pick % differing.length];
}

/** `{"a":{"a":...}}` or `[[...]]`, `levels` deep. */
export function deepJson(levels: number, arrays: boolean): string {
  return arrays ? `${'['.repeat(levels)}1${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

const NOT_JSON = [
  '{',
  '{"a":',
  'null',
  '[]',
  '"s"',
  '1',
  'true',
  '',
  '\u0000',
  'garbage',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '{"a":"\\ud800"}',
  '{"a":1,"a":2}',
  "{'a':1}",
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  'NaN',
  '{"a":1e999999}',
];
const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json;charset=utf-8',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/octet-stream',
  '',
];

/**
 * Bodies for an operation that takes `schema` (or none): schema-made values,
 * the same with one spot broken (wrong type, field removed, huge string, deep
 * nesting), text that isn't JSON, and wrong content types.
 */
export function bodyArb(schema: JsonSchema | undefined, seeds: unknown[]): fc.Arbitrary<BodyPlan> {
  const made = schema ? [valueOf(schema)] : [];
  const seeded = seeds.length ? [fc.constantFrom(...seeds)] : [];
  const valid: fc.Arbitrary<unknown> = made.length + seeded.length ? fc.oneof(...made, ...seeded) : fc.constant({});
  const json =
    (what: string) =>
    (v: unknown): BodyPlan => ({ what, text: JSON.stringify(v), contentType: 'application/json' });
  const mutated = fc.tuple(valid, fc.nat(), fc.nat()).chain(([v, i, j]) => {
    const paths = pathsOf(v);
    const path = paths[i % paths.length];
    return fc
      .constantFrom<BodyPlan[]>(
        [json('wrong type')(replaceAt(v, path, (old) => wrongTypeFor(old, j)))],
        [json('field removed')(deleteAt(v, path.length ? path : paths[paths.length - 1]))],
        [json('huge string')(replaceAt(v, path, () => 'x'.repeat([10_000, 300_000, 1_100_000][j % 3])))],
        [json('unknown field')(replaceAt(v, path, (old) => (old && typeof old === 'object' && !Array.isArray(old) ? { ...old, unexpected: 'x' } : old)))],
        [
          {
            what: 'deep nesting',
            text: JSON.stringify(replaceAt(v, path, () => '@@DEEP@@')).replace('"@@DEEP@@"', deepJson(190 + (j % 30), j % 2 === 0)),
            contentType: 'application/json',
          },
        ],
        [{ what: 'wrong content type', text: JSON.stringify(v), contentType: CONTENT_TYPES[j % CONTENT_TYPES.length] }],
      )
      .map((b) => b[0]);
  });
  return fc.oneof(
    { weight: 5, arbitrary: valid.map(json('valid-ish')) },
    { weight: 4, arbitrary: mutated },
    { weight: 1, arbitrary: fc.constantFrom(...NOT_JSON).map((text): BodyPlan => ({ what: 'not JSON', text, contentType: 'application/json' })) },
    { weight: 1, arbitrary: fc.constant<BodyPlan>({ what: 'no body' }) },
  );
}
