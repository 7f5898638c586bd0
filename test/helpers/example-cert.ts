import { readFileSync } from "node:fs";
import { join } from "node:path";

const secretText = readFileSync(join(import.meta.dirname, "../../packages/examples/world/01-tls-secret.yaml"), "utf8");
const field = (name: string) => Buffer.from(new RegExp(`${name.replace(".", "\\.")}: (\\S+)`).exec(secretText)![1]!, "base64").toString();

/** The bundled example's self-signed certificate and key for store.example.com (PEM). */
export const EXAMPLE_CERT = field("tls.crt");
export const EXAMPLE_KEY = field("tls.key");
