// Per-commit verdicts of commitlint (config-conventional) on a git range, as JSON lines:
// {"sha": ..., "ignored": bool, "valid": bool, "errors": [rule...], "warnings": [rule...]}
// Run from a folder where @commitlint/{lint,load,config-conventional} are installed:
//   node replay_commitlint.mjs REPO BASE..HEAD
// (benchmarks/replay_commitlint.py runs it and compares the verdicts with guard's.)
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.cwd(), "noop.js"));
const lint = (await import(require.resolve("@commitlint/lint"))).default;
const load = (await import(require.resolve("@commitlint/load"))).default;
const isIgnored = (await import(require.resolve("@commitlint/is-ignored"))).default;

const [repo, range] = process.argv.slice(2);
const config = await load({ extends: ["@commitlint/config-conventional"] });
const raw = execFileSync("git", ["-C", repo, "log", "--format=%H%x00%B%x00", range],
                         { maxBuffer: 1 << 30 }).toString("utf8");
const parts = raw.split("\0");
const opts = { parserOpts: config.parserPreset?.parserOpts, plugins: config.plugins,
               ignores: config.ignores, defaultIgnores: config.defaultIgnores };
for (let i = 0; i + 1 < parts.length; i += 2) {
  const sha = parts[i].trim();
  const message = parts[i + 1];
  const out = await lint(message, config.rules, opts);
  const ignored = isIgnored(message, { defaults: config.defaultIgnores !== false,
                                      ignores: config.ignores });
  process.stdout.write(JSON.stringify({ sha, valid: out.valid,
    errors: out.errors.map((e) => e.name), warnings: out.warnings.map((w) => w.name),
    ignored }) + "\n");
}
