/**
 * KServe's rules for choosing a runtime and for refusing one, written as test
 * code (the runtimes KServe ships are in _kserve_runtimes.ts). Read from kserve/kserve
 * v0.20.0 and main at aaac4e2 (2026-08-21), which have the same runtimes and
 * rules but one (the stable sort below):
 *
 * - `pkg/webhook/admission/servingruntime/servingruntime_webhook.go`: the
 *   (Cluster)ServingRuntime validating webhook. A new runtime is compared
 *   with each existing one of the same kind (ClusterServingRuntimes among
 *   themselves). It is refused ("same priority assigned for the model format
 *   X") when neither is disabled, both have the same `multiModel`, they share
 *   a protocol version, and both auto-select a format with the same name
 *   (case-insensitive) and the same version (or both no version) with equal
 *   priorities that are both set. Inside one runtime, entries of one
 *   auto-selected format name must not set different priorities. This check
 *   runs only while some runtime of that kind already exists. PYTHONPATH may
 *   not be set in any container.
 * - `pkg/apis/serving/v1beta1/predictor_model.go` (`GetSupportingRuntimes`,
 *   `RuntimeSupportsModel`, `sortSupportedRuntimeByPriority`): auto-selection
 *   keeps runtimes that are not disabled, are not multi-model, are not
 *   multi-node, list the predictor's protocol (v1 when the InferenceService
 *   sets none; a runtime that lists no protocol accepts any), and carry the
 *   label `mt:<name>` or `mt:<name>:<version>` the predictor asks for. A
 *   format gives those labels only when it has autoSelect: true, or always
 *   when the InferenceService names the runtime. Order: namespaced
 *   ServingRuntimes before every ClusterServingRuntime. Within each, lowest
 *   protocol first (v1 < v2 < grpc-v1 < grpc-v2; none is last), then newest,
 *   then name. Then a sort by priority, highest first, where a runtime with
 *   no priority comes after every runtime with one. The priority is that of
 *   the first entry with the format's name. The first runtime wins. Up to
 *   v0.20.0 that sort is `sort.Slice`, which is not stable: two candidates
 *   with equal priorities (or both with none) come out in either order. Main
 *   made it `sort.SliceStable`, so there the order above breaks the tie.
 * - `pkg/controller/v1beta1/inferenceservice/components/predictor.go`
 *   (`reconcileModel`): a named runtime must exist, must not be disabled,
 *   must list the InferenceService's protocol if one is set, and must support
 *   the format ("Specified runtime does not support specified
 *   framework/version").
 *
 * @module
 */

/** One `supportedModelFormats` entry. */
export interface ModelFormat {
  name: string;
  version?: string;
  autoSelect?: boolean;
  priority?: number;
}

/** The parts of a ServingRuntimeSpec these rules read. */
export interface RuntimeSpec {
  supportedModelFormats?: ModelFormat[];
  protocolVersions?: string[];
  multiModel?: boolean;
  disabled?: boolean;
  workerSpec?: unknown;
  containers?: { name: string; env?: { name: string }[] }[];
}

/** A ClusterServingRuntime: name, creation order (larger is newer), spec. */
export interface Runtime {
  name: string;
  created: number;
  spec: RuntimeSpec;
}

/** What an InferenceService's `predictor.model` asks for. */
export interface Predictor {
  modelFormat: { name: string; version?: string };
  runtime?: string;
  protocolVersion?: string;
}

const PROTOCOL_ORDER: Record<string, number> = { "v1": 1, "v2": 2, "grpc-v1": 3, "grpc-v2": 4 };
const UNKNOWN_PROTOCOL = 5;

function autoSelected(f: ModelFormat): boolean {
  return f.autoSelect === true;
}

function sameFormat(a: ModelFormat, b: ModelFormat): boolean {
  return a.name.toLowerCase() === b.name.toLowerCase() && a.version === b.version;
}

/** `validateModelFormatPrioritySame`: the error, or undefined. */
export function prioritySameError(spec: RuntimeSpec): string | undefined {
  const seen = new Map<string, number | undefined>();
  for (const f of (spec.supportedModelFormats ?? []).filter(autoSelected)) {
    if (!seen.has(f.name)) seen.set(f.name, f.priority);
    else if (
      seen.get(f.name) !== undefined && f.priority !== undefined && seen.get(f.name) !== f.priority
    ) {
      return `different priorities assigned for the model format ${f.name}`;
    }
  }
  return undefined;
}

/** `validateServingRuntimePriority`: the error, or undefined. */
export function priorityClash(
  next: Runtime,
  existing: Runtime,
): string | undefined {
  if (
    Boolean(next.spec.multiModel) !== Boolean(existing.spec.multiModel) ||
    existing.spec.disabled === true || existing.name === next.name
  ) return undefined;
  const shared = (existing.spec.protocolVersions ?? []).some((p) =>
    (next.spec.protocolVersions ?? []).includes(p)
  );
  if (!shared) return undefined;
  for (const old of (existing.spec.supportedModelFormats ?? []).filter(autoSelected)) {
    for (const f of (next.spec.supportedModelFormats ?? []).filter(autoSelected)) {
      if (
        sameFormat(old, f) && old.priority !== undefined && old.priority === f.priority
      ) return `same priority assigned for the model format ${f.name}`;
    }
  }
  return undefined;
}

/** The ClusterServingRuntime webhook's answer to creating `next`: why it is denied, or undefined. */
export function webhookDenial(next: Runtime, existing: Runtime[]): string | undefined {
  if (next.spec.disabled === true) return undefined;
  for (const old of existing) {
    const same = prioritySameError(next.spec);
    if (same) return `${same} under the clusterservingruntime ${next.name}`;
    const clash = priorityClash(next, old);
    if (clash) return `${clash} in the clusterservingruntimes ${old.name} and ${next.name}`;
  }
  for (const c of next.spec.containers ?? []) {
    if ((c.env ?? []).some((e) => e.name === "PYTHONPATH")) {
      return `setting PYTHONPATH in container "${c.name}" is not allowed for security reasons`;
    }
  }
  return undefined;
}

/** `RuntimeSupportsModel`: the runtime carries the label the predictor asks for. */
export function supportsModel(p: Predictor, spec: RuntimeSpec): boolean {
  const labels = new Set<string>();
  for (const f of spec.supportedModelFormats ?? []) {
    if (p.runtime !== undefined || autoSelected(f)) {
      labels.add(`mt:${f.name}`);
      if (f.version !== undefined) labels.add(`mt:${f.name}:${f.version}`);
    }
  }
  const { name, version } = p.modelFormat;
  return labels.has(version === undefined ? `mt:${name}` : `mt:${name}:${version}`);
}

function protocolSupported(spec: RuntimeSpec, protocol: string | undefined): boolean {
  const listed = spec.protocolVersions ?? [];
  return protocol === undefined || protocol === "" || listed.length === 0 ||
    listed.includes(protocol);
}

function protocolRank(spec: RuntimeSpec): number {
  const ranks = (spec.protocolVersions ?? []).map((p) => PROTOCOL_ORDER[p] ?? UNKNOWN_PROTOCOL);
  return ranks.length === 0 ? UNKNOWN_PROTOCOL : Math.min(...ranks);
}

/** Candidates after the first whose priority equals the first's (both unset included). */
export function tiedWithFirst(p: Predictor, ranked: Runtime[]): Runtime[] {
  const [first, ...rest] = ranked;
  if (first === undefined) return [];
  const top = priorityOf(first.spec, p.modelFormat.name);
  return rest.filter((r) => priorityOf(r.spec, p.modelFormat.name) === top);
}

function priorityOf(spec: RuntimeSpec, format: string): number | undefined {
  return (spec.supportedModelFormats ?? []).find((f) => f.name === format)?.priority;
}

/**
 * Auto-selection among ClusterServingRuntimes, best first (the first one is
 * chosen), with main's stable sort. `tiedWithFirst` tells whether v0.20.0's
 * unstable sort could have chosen another.
 */
export function supportingRuntimes(p: Predictor, runtimes: Runtime[]): Runtime[] {
  const protocol = p.protocolVersion ?? "v1";
  const candidates = runtimes.filter(({ spec }) =>
    spec.disabled !== true && spec.multiModel !== true && spec.workerSpec === undefined &&
    supportsModel(p, spec) && protocolSupported(spec, protocol)
  );
  candidates.sort((a, b) =>
    protocolRank(a.spec) - protocolRank(b.spec) || b.created - a.created ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
  // Array.prototype.sort is stable, as sort.SliceStable is.
  return candidates.sort((a, b) => {
    const pa = priorityOf(a.spec, p.modelFormat.name);
    const pb = priorityOf(b.spec, p.modelFormat.name);
    if (pa === undefined || pb === undefined) {
      return pa === undefined && pb === undefined ? 0 : pa === undefined ? 1 : -1;
    }
    return pb - pa;
  });
}

/** Why KServe refuses an InferenceService that names `runtime`, or undefined. */
export function namedRuntimeError(p: Predictor, runtime: Runtime | undefined): string | undefined {
  if (runtime === undefined) return "Waiting for runtime to become available";
  if (runtime.spec.disabled === true) return "Specified runtime is disabled";
  if (p.protocolVersion !== undefined && !protocolSupported(runtime.spec, p.protocolVersion)) {
    return "Specified runtime does not support specified protocol version";
  }
  if (!supportsModel({ ...p, runtime: runtime.name }, runtime.spec)) {
    return "Specified runtime does not support specified framework/version";
  }
  return undefined;
}
