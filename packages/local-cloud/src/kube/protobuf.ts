import protobuf from 'protobufjs';
import { KubeError } from './status.js';

/**
 * kubectl's typed commands (`kubectl create secret|configmap|namespace|serviceaccount|token|role|rolebinding|…`)
 * send Kubernetes protobuf, not JSON. These are the messages of k8s.io/api they
 * use, with their field numbers from k8s.io/api's generated.proto.
 */
const SCHEMA = `
syntax = "proto2";
package k8s;
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown { optional TypeMeta typeMeta = 1; optional bytes raw = 2; optional string contentEncoding = 3; optional string contentType = 4; }
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message OwnerReference { optional string kind = 1; optional string name = 3; optional string uid = 4; optional string apiVersion = 5; optional bool controller = 6; optional bool blockOwnerDeletion = 7; }
message ObjectMeta {
  optional string name = 1; optional string generateName = 2; optional string namespace = 3; optional string uid = 5;
  optional string resourceVersion = 6; optional int64 generation = 7;
  map<string, string> labels = 11; map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13; repeated string finalizers = 14;
}
message Secret { optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3; map<string, string> stringData = 4; optional bool immutable = 5; }
message ConfigMap { optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; optional bool immutable = 4; }
message NamespaceSpec { repeated string finalizers = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; }
message ObjectReference { optional string kind = 1; optional string namespace = 2; optional string name = 3; optional string uid = 4; optional string apiVersion = 5; }
message LocalObjectReference { optional string name = 1; }
message ServiceAccount { optional ObjectMeta metadata = 1; repeated ObjectReference secrets = 2; repeated LocalObjectReference imagePullSecrets = 3; optional bool automountServiceAccountToken = 4; }
message BoundObjectReference { optional string kind = 1; optional string apiVersion = 2; optional string name = 3; optional string uid = 4; }
message TokenRequestSpec { repeated string audiences = 1; optional BoundObjectReference boundObjectRef = 3; optional int64 expirationSeconds = 4; }
message TokenRequest { optional ObjectMeta metadata = 1; optional TokenRequestSpec spec = 2; }
message LabelSelectorRequirement { optional string key = 1; optional string operator = 2; repeated string values = 3; }
message LabelSelector { map<string, string> matchLabels = 1; repeated LabelSelectorRequirement matchExpressions = 2; }
message PolicyRule { repeated string verbs = 1; repeated string apiGroups = 2; repeated string resources = 3; repeated string resourceNames = 4; repeated string nonResourceURLs = 5; }
message AggregationRule { repeated LabelSelector clusterRoleSelectors = 1; }
message RoleRef { optional string apiGroup = 1; optional string kind = 2; optional string name = 3; }
message Subject { optional string kind = 1; optional string apiGroup = 2; optional string name = 3; optional string namespace = 4; }
message Role { optional ObjectMeta metadata = 1; repeated PolicyRule rules = 2; }
message ClusterRole { optional ObjectMeta metadata = 1; repeated PolicyRule rules = 2; optional AggregationRule aggregationRule = 3; }
message RoleBinding { optional ObjectMeta metadata = 1; repeated Subject subjects = 2; optional RoleRef roleRef = 3; }
message ClusterRoleBinding { optional ObjectMeta metadata = 1; repeated Subject subjects = 2; optional RoleRef roleRef = 3; }
message ResourceAttributes { optional string namespace = 1; optional string verb = 2; optional string group = 3; optional string version = 4; optional string resource = 5; optional string subresource = 6; optional string name = 7; }
message NonResourceAttributes { optional string path = 1; optional string verb = 2; }
message SelfSubjectAccessReviewSpec { optional ResourceAttributes resourceAttributes = 1; optional NonResourceAttributes nonResourceAttributes = 2; }
message SelfSubjectAccessReview { optional ObjectMeta metadata = 1; optional SelfSubjectAccessReviewSpec spec = 2; }
message SelfSubjectRulesReviewSpec { optional string namespace = 1; }
message SelfSubjectRulesReview { optional ObjectMeta metadata = 1; optional SelfSubjectRulesReviewSpec spec = 2; }
`;

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const unknownType = root.lookupType('k8s.Unknown');
/** The top-level objects of the schema; the other messages only occur inside them. */
const OBJECT_KINDS = new Set([
  'Secret',
  'ConfigMap',
  'Namespace',
  'ServiceAccount',
  'TokenRequest',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'SelfSubjectAccessReview',
  'SelfSubjectRulesReview',
]);

/** Decodes a Kubernetes protobuf body (`k8s\0` + runtime.Unknown) into the JSON object it carries. */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw new KubeError(400, 'BadRequest', 'the protobuf body does not start with the Kubernetes magic number');
  const envelope = unknownType.toObject(unknownType.decode(body.subarray(4)), { bytes: Buffer }) as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Buffer;
  };
  const kind = envelope.typeMeta?.kind ?? '';
  let type: protobuf.Type;
  try {
    if (!OBJECT_KINDS.has(kind)) throw new Error(kind);
    type = root.lookupType(`k8s.${kind}`);
  } catch {
    throw new KubeError(
      415,
      'UnsupportedMediaType',
      `protobuf bodies of kind "${kind}" are not supported by this API server; send JSON (for example \`kubectl apply -f\` or \`kubectl create -f\`)`,
    );
  }
  const object = type.toObject(type.decode(envelope.raw ?? Buffer.alloc(0)), { longs: Number, bytes: String, defaults: false }) as Record<string, unknown>;
  // `bytes: String` gives base64, which is what JSON carries for byte fields (Secret data).
  return withoutEmptyScalars({ apiVersion: envelope.typeMeta?.apiVersion, kind, ...object }) as Record<string, unknown>;
}

/** Go encodes unset proto2 scalars of these types as '' and 0; JSON clients leave them out, and so does the API server. */
function withoutEmptyScalars(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyScalars);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key, v]) => v !== '' && !(key === 'generation' && v === 0))
      .map(([key, v]) => [key, key === 'data' || key === 'labels' || key === 'annotations' || key === 'stringData' ? v : withoutEmptyScalars(v)]),
  );
}
