import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { JsonObject, PortalClient } from '@platform-portal/plugin-platform-portal-common';
import { renderPreview } from './preview';

export const GOLDEN_PATH_DRY_RUN_ACTION_ID = 'portal:golden-path:dry-run';

/**
 * `portal:golden-path:dry-run`: render a golden path in the portal without creating anything, and put
 * the rendered files in the workspace (the template editor shows them) and in the output.
 */
export function createGoldenPathDryRunAction(options: { client: PortalClient }) {
  const { client } = options;
  return createTemplateAction({
    id: GOLDEN_PATH_DRY_RUN_ACTION_ID,
    description: 'Previews a golden path: the portal renders the files it would create, and creates nothing.',
    supportsDryRun: true,
    schema: {
      input: {
        path: z => z.string().min(1).describe('Golden path name, for example python-http-service'),
        parameters: z => z.record(z.string(), z.any()).describe("The run's parameters"),
        targetPath: z =>
          z.string().optional().describe("Where in the workspace to write the files ('.' by default)"),
      },
      output: {
        files: z =>
          z
            .array(
              z.object({ path: z.string(), size: z.number(), truncated: z.boolean(), binary: z.boolean() }),
            )
            .describe('The files the golden path would create'),
        fileCount: z => z.number().describe('How many files'),
      },
    },
    async handler(ctx) {
      const files = await renderPreview(
        client,
        {
          path: ctx.input.path,
          parameters: ctx.input.parameters as JsonObject,
          requestedFor: ctx.user?.ref,
          targetPath: ctx.input.targetPath,
        },
        ctx,
      );
      ctx.output('files', files);
      ctx.output('fileCount', files.length);
    },
  });
}
