import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const RUN_ACTION = 'portal:golden-path:run';
export const RESOURCE_REQUEST_ACTION = 'platform-portal:resource:request';

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
  return findTemplates(goldenPathsDir, asActionTemplate);
}

/** A Template that requests a resource through the plugin's own action (not the proxy variant). */
export interface ResourceTemplate {
  file: string;
  name: string;
  /** The kinds its form offers (the `kind` field's enum). */
  kinds: string[];
  /** Every parameter property of every page, by name. */
  properties: Record<string, Schema>;
}

/** Every `golden_paths/<path>/*.yaml` Template with a step that runs platform-portal:resource:request. */
export function findResourceTemplates(goldenPathsDir: string): ResourceTemplate[] {
  return findTemplates(goldenPathsDir, asResourceTemplate);
}

function findTemplates<T>(
  goldenPathsDir: string,
  read: (file: string, doc: TemplateDocument | null) => T | undefined,
): T[] {
  if (!existsSync(goldenPathsDir)) return [];
  const found: T[] = [];
  for (const folder of readdirSync(goldenPathsDir, { withFileTypes: true }).filter(d => d.isDirectory())) {
    for (const file of readdirSync(join(goldenPathsDir, folder.name))
      .filter(f => /\.ya?ml$/.test(f))
      .sort()) {
      const path = join(goldenPathsDir, folder.name, file);
      for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) {
        const template = read(path, document.toJS() as TemplateDocument | null);
        if (template) found.push(template);
      }
    }
  }
  return found;
}

function asActionTemplate(file: string, doc: TemplateDocument | null): ActionTemplate | undefined {
  const step = doc?.spec?.steps?.find(s => s.action === RUN_ACTION);
  if (doc?.kind !== 'Template' || !step || !doc.metadata?.name) return undefined;
  const properties = parameterProperties(doc);
  const document = doc as Record<string, unknown>;
  return { file, name: doc.metadata.name, goldenPath: step.input?.path ?? '', properties, document };
}

function asResourceTemplate(file: string, doc: TemplateDocument | null): ResourceTemplate | undefined {
  const step = doc?.spec?.steps?.find(s => s.action === RESOURCE_REQUEST_ACTION);
  if (doc?.kind !== 'Template' || !step || !doc.metadata?.name) return undefined;
  const properties = parameterProperties(doc);
  const kinds = (properties.kind?.enum ?? []).map(String);
  return { file, name: doc.metadata.name, kinds, properties };
}

function parameterProperties(doc: TemplateDocument): Record<string, Schema> {
  const pages = Array.isArray(doc.spec?.parameters) ? doc.spec.parameters : [doc.spec?.parameters ?? {}];
  return Object.assign({}, ...pages.map(page => page.properties ?? {})) as Record<string, Schema>;
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

/**
 * What a person fills in to ask for one resource: the kind, a fresh name, the service as the form's
 * EntityPicker gives it (an entity ref), the environment, and every other field's default (the
 * settings page left empty takes the environment's defaults).
 */
export function resourceFormValues(
  template: ResourceTemplate,
  choice: { kind: string; name: string; service: string; environment: string },
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(template.properties)) {
    const value = key in choice ? choice[key as keyof typeof choice] : schema.default;
    if (value !== undefined) values[key] = value;
  }
  return values;
}
