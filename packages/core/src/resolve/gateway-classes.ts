import { ConditionType, DEFAULT_CONTROLLER_NAME, GatewayClassReason } from "../model/conditions.js";
import { condFalse, condTrue, type Cond } from "./conditions.js";
import type { GatewayClassSpecIn, GatewaySpecIn, InputObject } from "./input.js";
import { specOf } from "./input.js";
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
    const problem = parametersProblem(index, spec.parametersRef, "GatewayClass");
    const accepted = problem === null;
    out.set(name, {
      name,
      object: obj,
      controllerName: controller || DEFAULT_CONTROLLER_NAME,
      accepted,
      conditions: [
        accepted
          ? condTrue(ConditionType.Accepted, GatewayClassReason.Accepted, `gwsim acts as controller ${controller} for this class`)
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

/**
 * A parametersRef must name an object gwsim can read and that exists. gwsim has no parameter
 * CRDs of its own, so any other kind is reported as InvalidParameters, as the spec asks of a
 * controller that does not support the referenced kind.
 */
export function parametersProblem(
  index: ObjectIndex,
  ref: { group?: string; kind: string; name: string; namespace?: string } | undefined,
  owner: string,
  ownerNamespace?: string,
): string | null {
  if (!ref) return null;
  const group = ref.group ?? "";
  const what = `${group ? `${group}/` : ""}${ref.kind} ${ref.name}`;
  if (group !== "" || !PARAMETER_KINDS.has(ref.kind)) {
    return `parametersRef ${what}: gwsim supports only ConfigMap or Secret parameters; remove the parametersRef or point it at a ConfigMap`;
  }
  const namespace = ref.namespace ?? ownerNamespace;
  if (!namespace) return `parametersRef ${what}: a ${ref.kind} is namespaced, so the ${owner} parametersRef needs a namespace`;
  if (!index.get(ref.kind, namespace, ref.name)) return `parametersRef ${what}: ${ref.kind} ${namespace}/${ref.name} not found`;
  return null;
}
