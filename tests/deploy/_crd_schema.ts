/**
 * The structural schema of KServe's v1alpha1 ServingRuntime and
 * ClusterServingRuntime, written as test code. Facts read from kserve/kserve
 * v0.20.0 (and main at aaac4e2, 2026-08-21):
 * `pkg/apis/serving/v1alpha1/servingruntime_types.go` and the generated
 * `config/crd/full/serving.kserve.io_{servingruntimes,clusterservingruntimes}.yaml`.
 * Both kinds share one `spec` schema. A field the schema does not know is
 * refused by `kubectl apply` (strict field validation, the default since
 * Kubernetes 1.27) instead of being pruned. A wrong type is refused outright.
 * Sub-objects this project never sets (affinity, volumes...) are "any".
 *
 * @module
 */

/** A schema node: what the CRD's OpenAPI v3 schema says about one field. */
export type Schema =
  | { type: "string" }
  | { type: "boolean" }
  | { type: "integer"; format?: "int32" | "int64"; minimum?: number }
  | { type: "int-or-string" }
  | { type: "quantity" }
  | { type: "array"; items: Schema; mapKeys?: string[] }
  | { type: "map"; values: Schema }
  | { type: "object"; fields: Record<string, Schema>; required?: string[] }
  | { type: "any" };

const string: Schema = { type: "string" };
const boolean: Schema = { type: "boolean" };
const int32: Schema = { type: "integer", format: "int32" };
const int64: Schema = { type: "integer", format: "int64" };
const integer: Schema = { type: "integer" };
const any: Schema = { type: "any" };
const strings: Schema = { type: "array", items: string };
const stringMap: Schema = { type: "map", values: string };
const object = (fields: Record<string, Schema>, required?: string[]): Schema =>
  required === undefined ? { type: "object", fields } : { type: "object", fields, required };

const envVar = object({ name: string, value: string, valueFrom: any }, ["name"]);

const probe = object({
  exec: any,
  failureThreshold: int32,
  grpc: any,
  httpGet: object({
    host: string,
    httpHeaders: any,
    path: string,
    port: { type: "int-or-string" },
    scheme: string,
  }, ["port"]),
  initialDelaySeconds: int32,
  periodSeconds: int32,
  successThreshold: int32,
  tcpSocket: any,
  terminationGracePeriodSeconds: int64,
  timeoutSeconds: int32,
});

/** corev1.Container as the CRD embeds it. */
const container = object({
  args: strings,
  command: strings,
  env: { type: "array", items: envVar, mapKeys: ["name"] },
  envFrom: any,
  image: string,
  imagePullPolicy: string,
  lifecycle: any,
  livenessProbe: probe,
  name: string,
  ports: {
    type: "array",
    items: object({
      containerPort: int32,
      hostIP: string,
      hostPort: int32,
      name: string,
      protocol: string,
    }, ["containerPort"]),
    mapKeys: ["containerPort", "protocol"],
  },
  readinessProbe: probe,
  resizePolicy: any,
  resources: object({
    claims: any,
    limits: { type: "map", values: { type: "quantity" } },
    requests: { type: "map", values: { type: "quantity" } },
  }),
  restartPolicy: string,
  restartPolicyRules: any,
  securityContext: object({
    allowPrivilegeEscalation: boolean,
    appArmorProfile: any,
    capabilities: object({ add: strings, drop: strings }),
    privileged: boolean,
    procMount: string,
    readOnlyRootFilesystem: boolean,
    runAsGroup: int64,
    runAsNonRoot: boolean,
    runAsUser: int64,
    seLinuxOptions: any,
    seccompProfile: object({ localhostProfile: string, type: string }, ["type"]),
    windowsOptions: any,
  }),
  startupProbe: probe,
  stdin: boolean,
  stdinOnce: boolean,
  terminationMessagePath: string,
  terminationMessagePolicy: string,
  tty: boolean,
  volumeDevices: any,
  volumeMounts: any,
  workingDir: string,
}, ["name"]);

/** `ServingRuntimeSpec`, ServingRuntimePodSpec inlined. */
export const SERVING_RUNTIME_SPEC: Schema = object({
  affinity: any,
  annotations: stringMap,
  builtInAdapter: object({
    env: { type: "array", items: envVar },
    memBufferBytes: integer,
    modelLoadingTimeoutMillis: integer,
    runtimeManagementPort: integer,
    serverType: string,
  }),
  containers: { type: "array", items: container },
  disabled: boolean,
  grpcDataEndpoint: string,
  grpcEndpoint: string,
  hostIPC: boolean,
  httpDataEndpoint: string,
  imagePullSecrets: any,
  labels: stringMap,
  multiModel: boolean,
  nodeSelector: stringMap,
  protocolVersions: strings,
  replicas: integer,
  resourceClaims: any,
  schedulerName: string,
  storageHelper: object({ disabled: boolean }),
  supportedModelFormats: {
    type: "array",
    items: object({
      autoSelect: boolean,
      name: string,
      priority: { type: "integer", format: "int32", minimum: 1 },
      version: string,
    }, ["name"]),
  },
  tolerations: any,
  volumes: any,
  workerSpec: any,
}, ["containers"]);

/** The whole object; metadata as every Kubernetes object has it. */
export const SERVING_RUNTIME: Schema = object({
  apiVersion: string,
  kind: string,
  metadata: object({
    name: string,
    namespace: string,
    labels: stringMap,
    annotations: stringMap,
  }, ["name"]),
  spec: SERVING_RUNTIME_SPEC,
}, ["apiVersion", "kind", "metadata", "spec"]);

// Kubernetes' resource.Quantity pattern, as the CRD states it.
const QUANTITY =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
const RANGES = { int32: [-(2 ** 31), 2 ** 31 - 1], int64: [-(2 ** 63), 2 ** 63 - 1] } as const;

/** Every way `value` breaks `schema`, as "path: problem" lines. */
export function schemaErrors(value: unknown, schema: Schema, path = ""): string[] {
  const at = path === "" ? "(root)" : path;
  const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  switch (schema.type) {
    case "any":
      return [];
    case "string":
    case "boolean":
      return kind === schema.type ? [] : [`${at}: expected ${schema.type}, got ${kind}`];
    case "integer": {
      if (!Number.isInteger(value)) return [`${at}: expected integer, got ${kind}`];
      const n = value as number;
      const [low, high] = schema.format ? RANGES[schema.format] : [-Infinity, Infinity];
      if (n < Math.max(low, schema.minimum ?? -Infinity) || n > high) {
        return [`${at}: ${n} is out of range`];
      }
      return [];
    }
    case "int-or-string":
      return Number.isInteger(value) || kind === "string"
        ? []
        : [`${at}: expected integer or string, got ${kind}`];
    case "quantity":
      return (Number.isFinite(value) || kind === "string") && QUANTITY.test(String(value))
        ? []
        : [`${at}: ${JSON.stringify(value)} is not a quantity`];
    case "array": {
      if (!Array.isArray(value)) return [`${at}: expected array, got ${kind}`];
      const errors = value.flatMap((item, i) => schemaErrors(item, schema.items, `${path}[${i}]`));
      if (schema.mapKeys) {
        const keys = value.map((item) =>
          JSON.stringify(schema.mapKeys!.map((k) => item?.[k] ?? (k === "protocol" ? "TCP" : null)))
        );
        const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
        if (duplicate) errors.push(`${at}: duplicate entry for ${schema.mapKeys} ${duplicate}`);
      }
      return errors;
    }
    case "map":
      if (kind !== "object") return [`${at}: expected object, got ${kind}`];
      return Object.entries(value as object).flatMap(([k, v]) =>
        schemaErrors(v, schema.values, `${path}.${k}`)
      );
    case "object": {
      if (kind !== "object") return [`${at}: expected object, got ${kind}`];
      const record = value as Record<string, unknown>;
      const errors = (schema.required ?? []).filter((k) => record[k] === undefined).map((k) =>
        `${at}: ${k} is required`
      );
      for (const [key, item] of Object.entries(record)) {
        const field = schema.fields[key];
        const where = path === "" ? key : `${path}.${key}`;
        if (field === undefined) errors.push(`${where}: unknown field`);
        else errors.push(...schemaErrors(item, field, where));
      }
      return errors;
    }
  }
}
