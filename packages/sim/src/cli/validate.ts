import { validateObjects } from "@gwsim/core";
import { formatDiagnostics } from "./diagnostics.js";
import { listFlag, parseFlags, type CommandSpec } from "./flags.js";
import { UsageError, type ExitCode, type Io } from "./io.js";
import { loadManifests } from "../load/manifests.js";
import { summarize } from "./summary.js";
import { FILE_FLAG, requireFiles } from "./common.js";

export const validateSpec: CommandSpec = {
  name: "validate",
  summary: "check manifests against the Gateway API schema (CRD OpenAPI and CEL rules)",
  usage: "gwsim validate -f MANIFESTS [--json] [--quiet]",
  description:
    "Reports every violation as file:line:col, the field path and the rule in plain words, on stderr. " +
    "Every document is checked, whatever is wrong with the others. Exit 1 if any violation.",
  flags: [
    FILE_FLAG,
    { name: "json", type: "boolean", description: "print the diagnostics as JSON on stdout" },
    { name: "quiet", short: "q", type: "boolean", description: "do not print the summary of Gateways and routes" },
    { name: "channel", type: "string", value: "standard|experimental", description: "the Gateway API release channel whose CRDs apply", default: "experimental" },
  ],
  examples: ["gwsim validate -f manifests/", "kubectl get gateways,httproutes -A -o yaml | gwsim validate -f -"],
};

export async function validateCommand(argv: string[], io: Io): Promise<ExitCode> {
  const { values } = parseFlags(validateSpec, argv);
  const files = requireFiles(listFlag(values, "file"));
  const loaded = await loadManifests(files, io);
  if (loaded.unreadable.length) {
    io.stderr(formatDiagnostics(loaded.unreadable));
    return 2;
  }
  const channel = values.channel;
  if (channel !== "standard" && channel !== "experimental") throw new UsageError(`--channel takes standard or experimental, got ${JSON.stringify(channel)}`);
  const schema = validateObjects(loaded.objects, { channel });
  const all = [...loaded.diagnostics, ...schema.diagnostics];
  const errors = all.filter((d) => d.severity === "error");
  if (values.json) {
    io.stdout(`${JSON.stringify({ files: loaded.files, objects: loaded.objects.length, valid: schema.resources.length, errors: errors.length, diagnostics: all }, null, 2)}\n`);
  } else {
    io.stderr(formatDiagnostics(all));
    if (!values.quiet) io.stdout(summarize(schema.resources, loaded.objects.length));
    const docs = loaded.files.length === 1 ? "1 file" : `${loaded.files.length} files`;
    // How many objects pass, when any was read (a file that does not parse has none to count).
    const valid = loaded.objects.length ? `; ${schema.resources.length} of ${loaded.objects.length} objects pass the schema` : "";
    io.stdout(errors.length ? `${errors.length} problem(s) in ${docs}${valid}\n` : `${docs}: all ${schema.resources.length} objects valid\n`);
  }
  return errors.length ? 1 : 0;
}
