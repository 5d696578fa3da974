/**
 * Helpers to acknowledge cdk-nag findings one by one, on the construct that causes them.
 * cdk-nag 3 matches a finding-level id exactly, e.g. `AwsSolutions-IAM5[Resource::*]`.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges one cdk-nag rule or finding on `scope` (and its children) with a reason. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges `AwsSolutions-IAM5` for each of `resources` that holds a wildcard, with the finding id
 * cdk-nag derives from the synthesized value (references flattened to `<LogicalId.Attr>`, `<AWS::Region>`).
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  const flat = new Set(resources.map((resource) => flatten(stack.resolve(resource))));
  for (const resource of flat) {
    if (resource.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
  }
}

/** The same flattening as cdk-nag's IAM5 rule (its helper is not exported). */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if (Array.isArray(value['Fn::Join'])) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (value['Fn::Sub'] !== undefined) return flatten(value['Fn::Sub']);
  if (Array.isArray(value['Fn::GetAtt'])) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (value['Fn::ImportValue'] !== undefined) return flatten(value['Fn::ImportValue']);
  if (value.Ref !== undefined) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
}
