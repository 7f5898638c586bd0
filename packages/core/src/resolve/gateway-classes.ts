import { ConditionType, DEFAULT_CONTROLLER_NAME, GatewayClassReason } from "../model/conditions.js";
import { condFalse, condTrue, type Cond } from "./conditions.js";
import type { GatewayClassSpecIn, GatewaySpecIn, InputObject } from "./input.js";
import { specOf } from "./input.js";
import { KNOWN_KINDS, readsGroup } from "../manifest/kinds.js";
import type { ObjectIndex } from "./objects.js";

/** The Gateway API version gwsim implements; reported in SupportedVersion. */
export const SUPPORTED_BUNDLE_VERSION = "v1.6";

export interface ClassModel {
  name: string;
  /** The GatewayClass object, or null for a class a Gateway names but the manifests lack. */
  object: InputObject | null;
  controllerName: string;
  accepted: boolean;
  conditions: Cond[];
}

/** Parameter kinds gwsim can read (core group). Anything else is a kind it does not support. */
const PARAMETER_KINDS = new Set(["ConfigMap", "Secret"]);

/**
 * Which classes gwsim acts for (CONTRACT: every class by default, and a class a Gateway names but
 * the manifests lack; with `controllerName` only classes with that spec.controllerName), and the
 * status it writes for them. Classes it does not act for are absent from the map.
 */
export function resolveGatewayClasses(index: ObjectIndex, controllerName: string | undefined): Map<string, ClassModel> {
  const out = new Map<string, ClassModel>();
  for (const obj of index.byKind("GatewayClass")) {
    const spec = specOf<GatewayClassSpecIn>(obj);
    const name = obj.metadata.name;
    if (out.has(name)) continue;
    const controller = spec.controllerName ?? "";
    if (controllerName !== undefined && controller !== controllerName) continue;
    const params = checkParameters(index, spec.parametersRef, "GatewayClass");
    const problem = params.problem ?? null;
    const accepted = problem === null;
    const note = params.note ? `; ${params.note}` : "";
    out.set(name, {
      name,
      object: obj,
      controllerName: controller || DEFAULT_CONTROLLER_NAME,
      accepted,
      conditions: [
        accepted
          ? condTrue(ConditionType.Accepted, GatewayClassReason.Accepted, `gwsim acts as controller ${controller} for this class${note}`)
          : condFalse(ConditionType.Accepted, GatewayClassReason.InvalidParameters, problem),
        // gwsim reads no CRDs, so it can only state the version it implements.
        condTrue(
          ConditionType.SupportedVersion,
          GatewayClassReason.SupportedVersion,
          `gwsim implements Gateway API ${SUPPORTED_BUNDLE_VERSION}`,
        ),
      ],
    });
  }
  if (controllerName === undefined) {
    for (const gw of index.byKind("Gateway")) {
      const className = specOf<GatewaySpecIn>(gw).gatewayClassName;
      if (!className || out.has(className)) continue;
      out.set(className, { name: className, object: null, controllerName: DEFAULT_CONTROLLER_NAME, accepted: true, conditions: [] });
    }
  }
  return out;
}

/** What a parametersRef comes to: a problem (InvalidParameters), or a note for the Accepted message. */
export interface ParametersCheck {
  problem?: string;
  note?: string;
}

/**
 * A parametersRef must name an object that exists. ConfigMap and Secret are read (and ignored).
 * Parameters of a kind gwsim does not read (Envoy Gateway's EnvoyProxy, NGINX Gateway Fabric's
 * NginxProxy, ...) are the implementation's own: when the manifests hold the object, the reference
 * is accepted and what it configures is not simulated (implementation-specific; a controller
 * that did not support the kind would reject it, but gwsim stands in for the implementation the
 * manifests were written for). One the manifests lack is InvalidParameters, as the spec asks of a
 * referent that cannot be found. A kind gwsim reads that is not a parameters kind is unsupported.
 */
export function checkParameters(
  index: ObjectIndex,
  ref: { group?: string; kind: string; name: string; namespace?: string } | undefined,
  owner: string,
  ownerNamespace?: string,
): ParametersCheck {
  if (!ref) return {};
  const group = ref.group ?? "";
  const what = `${group ? `${group}/` : ""}${ref.kind} ${ref.name}`;
  const namespace = ref.namespace ?? ownerNamespace;
  if (group === "" && PARAMETER_KINDS.has(ref.kind)) {
    if (!namespace) return { problem: `parametersRef ${what}: a ${ref.kind} is namespaced, so the ${owner} parametersRef needs a namespace` };
    if (!index.get(ref.kind, namespace, ref.name)) return { problem: `parametersRef ${what}: ${ref.kind} ${namespace}/${ref.name} not found` };
    return {};
  }
  if (KNOWN_KINDS.has(ref.kind) && readsGroup(ref.kind, group)) {
    return { problem: `parametersRef ${what}: a ${ref.kind} cannot hold parameters; remove the parametersRef or point it at a ConfigMap or the implementation's parameters object` };
  }
  const where = namespace ? `${namespace}/${ref.name}` : ref.name;
  if (!index.foreign(group, ref.kind, namespace, ref.name)) {
    return {
      problem: `parametersRef ${what}: ${ref.kind} ${where} is not in the manifests; add it (gwsim does not read ${ref.kind} objects, but the parametersRef must name one that exists) or remove the parametersRef`,
    };
  }
  return { note: `parametersRef ${what}: the ${ref.kind} is the implementation's own parameters; gwsim does not read it, so what it configures is not simulated` };
}
