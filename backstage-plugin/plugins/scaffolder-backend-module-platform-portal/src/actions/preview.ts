import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import type { LoggerService } from '@backstage/backend-plugin-api';
import type { DryRunFile, JsonObject, PortalClient } from '@platform-portal/plugin-platform-portal-common';

export interface PreviewRequest {
  path: string;
  parameters: JsonObject;
  requestedFor?: string;
  /** Where in the workspace to write the rendered files ('.' by default). */
  targetPath?: string;
}

/** A rendered file without its content, as an action output. */
export interface PreviewFile extends JsonObject {
  path: string;
  size: number;
  truncated: boolean;
  binary: boolean;
}

/**
 * Ask the portal to render a golden path and write the text files it answers into the workspace,
 * where the template editor's dry run shows them.
 */
export async function renderPreview(
  client: PortalClient,
  request: PreviewRequest,
  context: { workspacePath: string; logger: LoggerService; signal?: AbortSignal },
): Promise<PreviewFile[]> {
  const result = await client.dryRun(
    request.path,
    { parameters: request.parameters, requestedFor: request.requestedFor },
    context.signal,
  );
  const root = resolveSafeChildPath(context.workspacePath, request.targetPath ?? '.');
  for (const file of result.files) {
    await writePreviewFile(root, file);
  }
  context.logger.info(
    `The portal rendered ${result.files.length} files for ${request.path} (nothing was created)`,
  );
  return result.files.map(file => ({
    path: file.path,
    size: file.size,
    truncated: file.truncated,
    binary: file.content === null,
  }));
}

async function writePreviewFile(root: string, file: DryRunFile): Promise<void> {
  if (file.content === null) return; // binary: listed in the output, not previewed
  const target = resolveSafeChildPath(root, file.path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, file.content, 'utf8');
}
