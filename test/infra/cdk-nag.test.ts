/**
 * cdk-nag AwsSolutions passes with acknowledgements only. cdk-nag 3 is a policy validation plugin: its
 * findings are not Annotations (`Annotations.fromStack(...).findError` sees none of them) but entries of
 * the cloud assembly's validation-report.json, and an error makes synth throw. With cdk.json's
 * `@aws-cdk/core:annotationsInValidationReport`, construct warnings land in the same report. So the test
 * reads the report; a canary (one unacknowledged finding) shows the checks do run and surface here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildStack, testApp } from './support.js';

const PROPS = { allowedFunctions: ['orders-*', 'arn:aws:lambda:eu-west-1:123456789012:function:payments'], notificationEmail: 'ops@example.com' };

interface Report {
  pluginReports: { pluginName: string; violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[] }[];
}

describe('cdk-nag AwsSolutions', () => {
  let synthError: unknown;
  let report: Report;
  beforeAll(() => {
    const app = testApp();
    const { stack } = buildStack(PROPS, app);
    // The canary: one unacknowledged finding, to show the checks run and surface here.
    new Topic(stack, 'Canary');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch (error) {
      synthError = error;
    }
    report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as Report;
  });

  it('runs: the canary is reported and fails synth', () => {
    expect(String(synthError)).toMatch(/Validation ?failed/i);
    const canary = report.pluginReports.flatMap((r) => r.violations).filter((v) =>
      v.violatingConstructs.some((c) => c.constructPath === 'RolloutTest/Canary/Resource'));
    expect(canary.map((v) => v.ruleName)).toContain('AwsSolutions-SNS3');
  });

  it('reports no unacknowledged error or warning on the rollout', () => {
    const findings = report.pluginReports.flatMap((r) => r.violations.flatMap((v) =>
      v.violatingConstructs
        .filter((c) => !c.constructPath.startsWith('RolloutTest/Canary/'))
        .map((c) => `${v.severity} ${v.ruleName} at ${c.constructPath}`)));
    expect(findings).toEqual([]);
  });
});
