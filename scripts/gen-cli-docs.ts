import { writeFileSync } from "node:fs";
import { COMMANDS } from "../packages/sim/src/cli/main.js";
import { cliReference } from "../packages/sim/src/cli/reference.js";

writeFileSync(new URL("../docs/cli.md", import.meta.url), cliReference(COMMANDS));
