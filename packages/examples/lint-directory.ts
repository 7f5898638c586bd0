// Lint a directory of manifests from code: the findings `gwsim lint` prints, as data.
// Exits 1 when a finding of severity error exists, like the CLI.
//
//   npx tsx packages/examples/lint-directory.ts                      # the bundled example world
//   npx tsx packages/examples/lint-directory.ts test/fixtures/lint/unreachable-rule
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildWorld, lint, parseManifestFiles } from "@gwsim/core";

const dir = process.argv[2] ?? new URL("./world", import.meta.url).pathname;

// Every *.yaml, *.yml and *.json below the directory, in a stable order.
function manifestFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const full = join(path, name);
      return statSync(full).isDirectory() ? manifestFiles(full) : /\.(ya?ml|json)$/i.test(name) ? [full] : [];
    });
}

const files = manifestFiles(dir).map((file) => ({ file: relative(process.cwd(), file), text: readFileSync(file, "utf8") }));
const { objects, diagnostics } = parseManifestFiles(files);
const world = buildWorld(objects);
for (const d of [...diagnostics, ...world.diagnostics]) console.error(`${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`);

// Pass the objects too: findings then point at the exact field, and ReferenceGrants are checked.
const findings = lint(world, { objects });
for (const f of findings) {
  console.log(`${f.file}:${f.line}:${f.column}: ${f.severity} [${f.rule}] ${f.message}`);
  console.log(`    fix: ${f.fix}`);
}
console.log(`${findings.length} finding(s) in ${files.length} file(s)`);
process.exitCode = findings.some((f) => f.severity === "error") ? 1 : 0;
