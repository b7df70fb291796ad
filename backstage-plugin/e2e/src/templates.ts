import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const RUN_ACTION = 'portal:golden-path:run';

type Schema = {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
};

export interface ActionTemplate {
  file: string;
  name: string;
  /** The golden path its run step names. */
  goldenPath: string;
  /** Every parameter property of every page, by name. */
  properties: Record<string, Schema>;
  /** The Template entity as written. */
  document: Record<string, unknown>;
}

interface TemplateDocument {
  kind?: string;
  metadata?: { name?: string };
  spec?: { parameters?: Schema | Schema[]; steps?: { action?: string; input?: { path?: string } }[] };
}

/** Every `golden_paths/<path>/*.yaml` Template with a step that runs portal:golden-path:run. */
export function findActionTemplates(goldenPathsDir: string): ActionTemplate[] {
  if (!existsSync(goldenPathsDir)) return [];
  const found: ActionTemplate[] = [];
  for (const folder of readdirSync(goldenPathsDir, { withFileTypes: true }).filter(d => d.isDirectory())) {
    for (const file of readdirSync(join(goldenPathsDir, folder.name))
      .filter(f => /\.ya?ml$/.test(f))
      .sort()) {
      const path = join(goldenPathsDir, folder.name, file);
      for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const template = asActionTemplate(path, document.toJS() as TemplateDocument | null);
        if (template) found.push(template);
      }
    }
  }
  return found;
}

function asActionTemplate(file: string, doc: TemplateDocument | null): ActionTemplate | undefined {
  const step = doc?.spec?.steps?.find(s => s.action === RUN_ACTION);
  if (doc?.kind !== 'Template' || !step || !doc.metadata?.name) return undefined;
  const pages = Array.isArray(doc.spec?.parameters) ? doc.spec.parameters : [doc.spec?.parameters ?? {}];
  const properties = Object.assign({}, ...pages.map(page => page.properties ?? {})) as Record<string, Schema>;
  const document = doc as Record<string, unknown>;
  return { file, name: doc.metadata.name, goldenPath: step.input?.path ?? '', properties, document };
}

/** Values a person would pick in the form: a fresh name, the payments team, and each field's default or first choice. */
export function formValues(template: ActionTemplate, serviceName: string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(template.properties)) {
    const value = valueFor(key, schema, serviceName);
    if (value !== undefined) values[key] = value;
  }
  return values;
}

function valueFor(key: string, schema: Schema, serviceName: string): unknown {
  if (key === 'name') return serviceName;
  if (key === 'owner') return 'group:default/payments';
  if (key === 'description') return `Created by the Backstage end-to-end test from ${serviceName}`;
  return schema.default ?? schema.enum?.[0];
}
