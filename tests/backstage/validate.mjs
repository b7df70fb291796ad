#!/usr/bin/env node
// Validate Backstage catalog entities with Backstage's own npm packages.
//
// Usage:
//   node validate.mjs < entities.yaml
//   node validate.mjs a.yaml b.yaml      ("-" means stdin)
//
// Prints exactly one JSON object on stdout:
//   {"ok": bool, "results": [{"index", "kind", "name", "ok", "errors": [...]}]}
// plus "error" (string) on a YAML parse / usage error, and "file" in each
// result when entities are read from file arguments.
// Exit code: 0 all entities valid, 1 some entity invalid, 2 YAML parse or
// usage error (including "no entities in input").

import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  EntityPolicies,
  SchemaValidEntityPolicy,
  DefaultNamespaceEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  FieldFormatEntityPolicy,
  componentEntityV1alpha1Validator,
  apiEntityV1alpha1Validator,
  groupEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
  systemEntityV1alpha1Validator,
  domainEntityV1alpha1Validator,
  resourceEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';

const USAGE = 'usage: node validate.mjs [FILE.yaml ...]  (reads stdin when no FILE or FILE is "-")';

const policy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
]);

const kindValidators = [
  ['Component', componentEntityV1alpha1Validator],
  ['API', apiEntityV1alpha1Validator],
  ['Group', groupEntityV1alpha1Validator],
  ['User', userEntityV1alpha1Validator],
  ['System', systemEntityV1alpha1Validator],
  ['Domain', domainEntityV1alpha1Validator],
  ['Resource', resourceEntityV1alpha1Validator],
  ['Location', locationEntityV1alpha1Validator],
  ['Template', templateEntityV1beta3Validator],
];

function emit(obj, code) {
  process.stdout.write(`${JSON.stringify(obj, null, 2)}\n`);
  process.exitCode = code;
}

function fail(message) {
  emit({ ok: false, error: message, results: [] }, 2);
}

function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

const isPlainObject = v =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

async function validateEntity(entity) {
  const errors = [];
  if (!isPlainObject(entity)) {
    const got = Array.isArray(entity) ? 'array' : typeof entity;
    return [`Expected object at root, got ${got}`];
  }

  let checked = entity;
  try {
    checked = (await policy.enforce(entity)) ?? entity;
  } catch (e) {
    errors.push(`policy: ${errorMessage(e)}`);
  }

  let accepted = 0;
  let threw = false;
  for (const [label, validator] of kindValidators) {
    try {
      if (await validator.check(checked)) {
        accepted += 1;
      }
    } catch (e) {
      threw = true;
      errors.push(`${label} validator: ${errorMessage(e)}`);
    }
  }
  if (accepted === 0 && !threw) {
    errors.push(
      `unknown kind: no validator accepts apiVersion=${JSON.stringify(
        entity.apiVersion,
      )} kind=${JSON.stringify(entity.kind)} (known: ${kindValidators
        .map(([label]) => label)
        .join(', ')})`,
    );
  }
  return errors;
}

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    process.stderr.write(`${USAGE}\n`);
    return fail(USAGE);
  }
  const badOpt = args.find(a => a.startsWith('-') && a !== '-');
  if (badOpt) {
    return fail(`unknown option ${badOpt}; ${USAGE}`);
  }

  const fromFiles = args.length > 0;
  const sources = fromFiles ? args : ['-'];
  if (!fromFiles && process.stdin.isTTY) {
    return fail(`no input on stdin; ${USAGE}`);
  }

  // Parse everything first: any YAML error aborts with exit 2.
  const entities = []; // { file, value }
  for (const src of sources) {
    let text;
    try {
      text = readFileSync(src === '-' ? 0 : src, 'utf8');
    } catch (e) {
      return fail(`cannot read ${src === '-' ? 'stdin' : src}: ${errorMessage(e)}`);
    }
    let docs;
    try {
      docs = parseAllDocuments(text);
    } catch (e) {
      return fail(`YAML parse error in ${src === '-' ? 'stdin' : src}: ${errorMessage(e)}`);
    }
    // parseAllDocuments returns an EmptyStream (not an array) for empty input.
    for (const doc of Array.isArray(docs) ? docs : []) {
      if (doc.errors?.length) {
        const where = src === '-' ? 'stdin' : src;
        return fail(`YAML parse error in ${where}: ${doc.errors.map(errorMessage).join('; ')}`);
      }
      const value = doc.toJS();
      if (value === null || value === undefined) {
        continue; // empty document, e.g. a trailing '---'
      }
      entities.push({ file: src === '-' ? '<stdin>' : src, value });
    }
  }
  if (entities.length === 0) {
    return fail('no entities found in input');
  }

  const results = [];
  for (const [index, { file, value }] of entities.entries()) {
    const errors = await validateEntity(value);
    const obj = isPlainObject(value) ? value : {};
    const result = {
      index,
      kind: obj.kind ?? null,
      name: isPlainObject(obj.metadata) ? obj.metadata.name ?? null : null,
      ok: errors.length === 0,
      errors,
    };
    if (fromFiles) result.file = file;
    results.push(result);
  }
  const ok = results.every(r => r.ok);
  emit({ ok, results }, ok ? 0 : 1);
}

main().catch(e => fail(`internal error: ${e?.stack ?? e}`));
