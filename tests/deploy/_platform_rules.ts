/**
 * The rules the pods made from our runtimes must pass beyond KServe's CRD,
 * written as test code: Knative Serving's validation of a Serverless
 * revision, the Pod Security "restricted" profile, Kubernetes' own name
 * checks, and ModelMesh Serving's validator, placement labels and MLServer
 * adapter. Each block names its source.
 *
 * @module
 */

// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * knative/serving at knative-v1.23.0 (98e5ef9, 2026-08-21),
 * `pkg/apis/serving/k8s_validation.go` and `fieldmask.go`:
 * - `validateContainersPorts`: more than one port across all containers is
 *   refused: "more than one container port is set".
 * - `validateContainerPorts`: the port's name is "", "h2c" or "http1"; its
 *   protocol is TCP or unset; it is not a reserved port (8012, 8013, 8022,
 *   9090, 9091 for the queue-proxy, 8008 for profiling). Only containerPort,
 *   name and protocol may be set.
 * - `ContainerMask`: a container may set only the fields listed below.
 * - `SecurityContextMask`: capabilities, readOnlyRootFilesystem, runAsUser,
 *   runAsGroup, runAsNonRoot, allowPrivilegeEscalation, seccompProfile, and
 *   privileged only as false. `CapabilitiesMask`: only `drop`, unless a
 *   feature flag allows `add`.
 * - Reserved: the container name queue-proxy; the env vars PORT, K_SERVICE,
 *   K_CONFIGURATION, K_REVISION.
 * - `validateProbe`: exactly one handler; a named httpGet port must be the
 *   container port's name.
 */
export function knativeErrors(containers: Any[]): string[] {
  const errors: string[] = [];
  const ports = containers.flatMap((c) => c.ports ?? []);
  if (ports.length > 1) errors.push("more than one container port is set");
  const allowed = new Set([
    "name",
    "args",
    "command",
    "env",
    "workingDir",
    "envFrom",
    "image",
    "imagePullPolicy",
    "livenessProbe",
    "ports",
    "readinessProbe",
    "resources",
    "securityContext",
    "startupProbe",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "volumeMounts",
  ]);
  for (const c of containers) {
    for (const key of Object.keys(c)) if (!allowed.has(key)) errors.push(`must not set ${key}`);
    if (c.name === "queue-proxy") errors.push(`"queue-proxy" is a reserved container name`);
    for (const e of c.env ?? []) {
      if (["PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"].includes(e.name)) {
        errors.push(`${e.name} is a reserved environment variable`);
      }
    }
    const [port] = c.ports ?? [];
    if (port !== undefined) {
      for (const key of Object.keys(port)) {
        if (!["containerPort", "name", "protocol"].includes(key)) {
          errors.push(`port must not set ${key}`);
        }
      }
      if (!["", "h2c", "http1", undefined].includes(port.name)) {
        errors.push(`Port name ${port.name} is not allowed`);
      }
      if (port.protocol !== undefined && port.protocol !== "TCP") errors.push("protocol not TCP");
      if ([8012, 8013, 8022, 9090, 9091, 8008].includes(port.containerPort)) {
        errors.push(`${port.containerPort} is a reserved port`);
      }
    }
    const sc = c.securityContext ?? {};
    const scAllowed = [
      "capabilities",
      "readOnlyRootFilesystem",
      "runAsUser",
      "runAsGroup",
      "runAsNonRoot",
      "allowPrivilegeEscalation",
      "seccompProfile",
    ];
    for (const key of Object.keys(sc)) {
      if (key === "privileged" ? sc.privileged !== false : !scAllowed.includes(key)) {
        errors.push(`securityContext must not set ${key}`);
      }
    }
    for (const key of Object.keys(sc.capabilities ?? {})) {
      if (key !== "drop") errors.push(`capabilities must not set ${key}`);
    }
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      if (probe === undefined) continue;
      const handlers = ["httpGet", "tcpSocket", "exec", "grpc"].filter((h) => probe[h]);
      if (handlers.length !== 1) errors.push(`a probe needs exactly one handler, has ${handlers}`);
      const named = probe.httpGet?.port ?? probe.tcpSocket?.port;
      if (typeof named === "string" && named !== (port?.name ?? "http")) {
        errors.push("Probe port must match container port");
      }
    }
  }
  return errors;
}

/**
 * The Pod Security Standards' "restricted" profile, for one container with no
 * pod-level securityContext (a ServingRuntime sets none), from
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/:
 * privileged unset or false; allowPrivilegeEscalation false; runAsNonRoot
 * true; runAsUser not 0; seccompProfile.type RuntimeDefault or Localhost;
 * capabilities drop ALL and add nothing but NET_BIND_SERVICE; no hostPort.
 */
export function restrictedErrors(container: Any): string[] {
  const sc = container.securityContext ?? {};
  const errors: string[] = [];
  if (sc.privileged === true) errors.push("privileged");
  if (sc.allowPrivilegeEscalation !== false) errors.push("allowPrivilegeEscalation != false");
  if (sc.runAsNonRoot !== true) errors.push("runAsNonRoot != true");
  if (sc.runAsUser === 0) errors.push("runAsUser = 0");
  if (!["RuntimeDefault", "Localhost"].includes(sc.seccompProfile?.type)) {
    errors.push("seccompProfile.type is not RuntimeDefault or Localhost");
  }
  if (!(sc.capabilities?.drop ?? []).includes("ALL")) errors.push("capabilities do not drop ALL");
  for (const cap of sc.capabilities?.add ?? []) {
    if (cap !== "NET_BIND_SERVICE") errors.push(`capability ${cap} added`);
  }
  for (const p of container.ports ?? []) if (p.hostPort) errors.push("hostPort");
  return errors;
}

/**
 * Kubernetes core validation of the pod KServe or ModelMesh creates
 * (k8s.io/apimachinery `validation.IsDNS1123Label`, `IsValidPortName`): a
 * container name is a DNS-1123 label; a port name is an IANA service name (at
 * most 15 of a-z, 0-9 and "-", with a letter, no "-" at either end or twice
 * in a row); port names are unique in a container.
 */
export function kubernetesNameErrors(container: Any): string[] {
  const errors: string[] = [];
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(container.name)) {
    errors.push(`container name ${container.name}`);
  }
  const names = (container.ports ?? []).map((p: Any) => p.name).filter(Boolean);
  for (const name of names) {
    if (
      name.length > 15 || !/^[a-z0-9-]+$/.test(name) || !/[a-z]/.test(name) ||
      name.startsWith("-") || name.endsWith("-") || name.includes("--")
    ) errors.push(`port name ${name}`);
  }
  if (new Set(names).size !== names.length) errors.push("duplicate port names");
  return errors;
}

/**
 * kserve/modelmesh-serving 9c7a2b7 (2026-04-14):
 * `controllers/servingruntime_validator.go` (validateServingRuntimeSpec)
 * and `config/default/config-defaults.yaml` (builtInServerTypes).
 */
export function modelMeshValidatorErrors(spec: Any): string[] {
  const errors: string[] = [];
  const reserved = (name: string, set: string[]) => set.includes(name) || name.startsWith("mm-");
  const adapter = spec.builtInAdapter;
  if (adapter !== undefined) {
    if (!["triton", "mlserver", "ovms", "torchserve"].includes(adapter.serverType)) {
      errors.push(`unrecognized built-in runtime server type ${adapter.serverType}`);
    } else if (!spec.containers.some((c: Any) => c.name === adapter.serverType)) {
      errors.push(`must include runtime container with name ${adapter.serverType}`);
    }
  }
  const internalMounts = ["storage-config", "etcd-config", "tc-config", "domain-socket"];
  for (const c of spec.containers) {
    if (reserved(c.name, ["mm", "rest-proxy", "puller"])) errors.push(`container name ${c.name}`);
    if (c.readinessProbe !== undefined || c.lifecycle !== undefined) {
      errors.push("ReadinessProbe and Lifecycle are managed by modelmesh and cannot be set");
    }
    for (const m of c.volumeMounts ?? []) {
      if (reserved(m.name, internalMounts)) errors.push(`volume ${m.name}`);
    }
    for (const p of c.ports ?? []) {
      if (reserved(p.name ?? "", ["grpc", "http", "prometheus"])) {
        errors.push(`port name ${p.name}`);
      }
      const n = p.containerPort;
      if ([8080, 8085, 8089, 8090].includes(n) || (n >= 11881 && n < 11900)) {
        errors.push(`Port ${n} is reserved for internal use`);
      }
    }
  }
  for (const v of spec.volumes ?? []) {
    if (reserved(v.name, [...internalMounts, "models-dir"])) errors.push(`volume ${v.name}`);
  }
  return errors;
}

/**
 * Ports ModelMesh's own containers use in the runtime pod (reference
 * modelmesh.md section 4.1): mm gRPC, litelinks, probes, preStop, adapter,
 * puller, REST proxy, metrics.
 */
export const MODELMESH_POD_PORTS = [8033, 8080, 8089, 8090, 8085, 8086, 8008, 2112];

/**
 * modelmesh-serving `controllers/modelmesh/model_type_labels.go`
 * (GetServingRuntimeLabelSets): a runtime's pods carry `mt:<name>` and
 * `mt:<name>:<version>` for each format with autoSelect: true, and
 * `rt:<runtime>`. `cluster_config.go` makes each label a type constraint
 * whose only requirement is that label. A model needs the label of its type
 * (or `rt:<runtime>` when the InferenceService names one), and any pod
 * carrying it qualifies. Nothing reads `priority`.
 */
export function modelMeshTypeLabels(spec: Any, runtimeName: string): Set<string> {
  const labels = new Set([`rt:${runtimeName}`]);
  for (const f of spec.supportedModelFormats ?? []) {
    if (f.autoSelect !== true) continue;
    labels.add(`mt:${f.name}`);
    if (f.version !== undefined) labels.add(`mt:${f.name}:${f.version}`);
  }
  return labels;
}

/**
 * kserve/modelmesh-runtime-adapter af7d500 (2026-04-14),
 * `model-mesh-mlserver-adapter/server/server.go` (generateModelConfigJSON):
 * the implementation written into a generated model-settings.json by model
 * type. Other types get no implementation.
 */
export const ADAPTER_IMPLEMENTATIONS: Record<string, string> = {
  lightgbm: "mlserver_lightgbm.LightGBMModel",
  sklearn: "mlserver_sklearn.SKLearnModel",
  xgboost: "mlserver_xgboost.XGBoostModel",
  mllib: "mlserver-mllib.MLlibModel",
};

/**
 * ModelMesh's own runtimes (modelmesh-serving `config/runtimes/*.yaml`):
 * their auto-selected formats among those this server serves.
 */
export const MODELMESH_RUNTIMES: { name: string; spec: Any }[] = [
  {
    name: "mlserver-1.x",
    spec: {
      protocolVersions: ["grpc-v2"],
      supportedModelFormats: [
        { name: "sklearn", version: "0", autoSelect: true },
        { name: "xgboost", version: "1", autoSelect: true },
        { name: "lightgbm", version: "3", autoSelect: true },
      ],
    },
  },
  {
    name: "triton-2.x",
    spec: {
      protocolVersions: ["grpc-v2"],
      supportedModelFormats: [
        { name: "onnx", version: "1", autoSelect: true },
        { name: "sklearn", version: "0", autoSelect: false },
        { name: "xgboost", version: "1", autoSelect: false },
        { name: "lightgbm", version: "3", autoSelect: false },
      ],
    },
  },
];
