/**
 * Shared set-up for the infra tests: the same context as `cdk synth`. The functions' code is the
 * prebuilt bundles the global set-up builds (test/support/bundles-setup.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RolloutStack, type RolloutStackProps } from '../../infra/rollout-stack.js';

/** The repository's root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The functions CDK's provider framework adds for the Custom::LambdaRollout provider: onEvent, isComplete, onTimeout. */
export const FRAMEWORK_FUNCTIONS = 3;

const CDK_JSON_CONTEXT = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;

/** An app with cdk.json's context (feature flags). */
export function testApp(): App {
  return new App({ context: { ...CDK_JSON_CONTEXT } });
}

/** Builds a {@link RolloutStack} in a fresh {@link testApp}. */
export function buildStack(props: RolloutStackProps, app: App = testApp()): { app: App; stack: RolloutStack } {
  return { app, stack: new RolloutStack(app, 'RolloutTest', props) };
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(element: { node: { defaultChild?: unknown } }): string {
  const cfn = element.node.defaultChild as CfnElement;
  return Stack.of(cfn).getLogicalId(cfn);
}

/** A flat, readable form of a CloudFormation value: `arn:${AWS::Partition}:...`, `${Logical.Arn}`. */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [delimiter, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(flat).join(delimiter);
  }
  if (Array.isArray(v['Fn::GetAtt'])) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if (v.Ref !== undefined) return `\${${String(v.Ref)}}`;
  return JSON.stringify(value);
}

/** One IAM statement, flattened, with the role(s) whose policy holds it. */
export interface FlatStatement {
  readonly roles: string[];
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
}

/** Every IAM statement of every policy in the template (AWS::IAM::Policy and inline role policies). */
export function iamStatements(template: Template): FlatStatement[] {
  const out: FlatStatement[] = [];
  const add = (roles: string[], document: { Statement: Record<string, unknown>[] }) => {
    for (const s of document.Statement) {
      out.push({
        roles,
        effect: String(s.Effect),
        actions: [s.Action].flat().map(String),
        resources: [s.Resource].flat().map(flat),
      });
    }
  };
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles = (policy.Properties.Roles as { Ref: string }[] | undefined ?? []).map((r) => r.Ref);
    add(roles, policy.Properties.PolicyDocument);
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const inline of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]) {
      add([id], inline.PolicyDocument);
    }
  }
  return out;
}
