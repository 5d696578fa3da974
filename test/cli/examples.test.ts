/**
 * The GitHub Actions examples: valid workflows that assume a role with OIDC, drive the `rollout`
 * command with flags it has, and write the outcome to the job summary before failing the job.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const read = (name: string) => readFileSync(new URL(`../../examples/github-actions/${name}`, import.meta.url), 'utf8');

interface Workflow {
  permissions: Record<string, string>;
  jobs: { release: { steps: { uses?: string; run?: string; with?: Record<string, string> }[] } };
}

describe.each(['release.yml', 'release-artifact.yml'])('examples/github-actions/%s', (name) => {
  const text = read(name);
  const workflow = parse(text) as Workflow;
  const steps = workflow.jobs.release.steps;
  // Shell lines continued with a backslash, joined.
  const scripts = steps.map((s) => s.run ?? '').join('\n').replace(/\\\n\s*/g, ' ');

  it('assumes a role with the OIDC token: id-token write, configure-aws-credentials with a role, no stored keys', () => {
    expect(workflow.permissions['id-token']).toBe('write');
    const credentials = steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(credentials?.with?.['role-to-assume']).toBe('${{ vars.ROLLOUT_ROLE_ARN }}');
    expect(text).not.toMatch(/aws-access-key-id|AWS_SECRET_ACCESS_KEY/);
  });

  it('follows the rollout with --json, writes the outcome and the reason to the job summary, and exits with its code', () => {
    expect(scripts).toMatch(/rollout (start|status) .*--(wait|watch) --json > rollout\.json/);
    expect(scripts).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(scripts).toContain('.reason');
    expect(scripts).toMatch(/exit \$code\s*$/m);
  });
});
