/**
 * The functions a rollout may touch: validation of the `allowedFunctions` prop and the IAM resources
 * it grants. Pure except for `Stack.formatArn`, which only builds tokens.
 */
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A function name, or a name pattern where `*` matches any characters (IAM wildcard). */
const NAME = '[A-Za-z0-9_*-]{1,64}';
const NAME_PATTERN = new RegExp(`^${NAME}$`);
/** An unqualified Lambda function ARN in a concrete partition, region and account. */
const FUNCTION_ARN = new RegExp(`^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\\d+:\\d{12}:function:(${NAME})$`);

const EXPECTED =
  "a function name or name pattern like 'orders-*', or an unqualified function ARN like " +
  "'arn:aws:lambda:us-east-1:123456789012:function:payments'";

/**
 * Checks `allowedFunctions` and returns its entries without duplicates. Unresolved tokens
 * (e.g. `fn.functionArn`) are taken as unqualified function ARNs.
 *
 * @throws Error naming the prop, the rule and the value received, for an empty list, `*` alone
 *   (or `arn:...:function:*`), a qualified ARN, or anything that is not a name pattern or function ARN.
 * @example validateAllowedFunctions(['orders-*', 'payments']) // ['orders-*', 'payments']
 */
export function validateAllowedFunctions(entries: readonly string[] | undefined): string[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new Error(
      `allowedFunctions must list at least one function: ${EXPECTED}; received ${JSON.stringify(entries)}`,
    );
  }
  entries.forEach((entry, index) => checkEntry(entry, `allowedFunctions[${index}]`));
  return [...new Set(entries)];
}

/**
 * Checks the names, name patterns and ARNs of `allowedHooks` by the same rules (any number of them,
 * none included) and returns them without duplicates.
 *
 * @example validateAllowedHookNames(['checks-*']) // ['checks-*']
 */
export function validateAllowedHookNames(entries: readonly string[]): string[] {
  entries.forEach((entry, index) => checkEntry(entry, `allowedHooks[${index}]`));
  return [...new Set(entries)];
}

function checkEntry(entry: unknown, field: string): void {
  if (typeof entry !== 'string') {
    throw new Error(`${field} must be a string: ${EXPECTED}; received ${JSON.stringify(entry)}`);
  }
  if (Token.isUnresolved(entry)) return;
  const name = NAME_PATTERN.test(entry) ? entry : FUNCTION_ARN.exec(entry)?.[1];
  if (name === undefined) {
    const qualified = /:function:[^:]+:/.test(entry) ? ' (without a version or alias: the grant covers them)' : '';
    throw new Error(`${field} must be ${EXPECTED}${qualified}; received '${entry}'`);
  }
  if (/^\*+$/.test(name)) {
    throw new Error(
      `${field} must not match every function ('*' alone would let a rollout rewrite the aliases of all ` +
        `functions in the account); name the functions or a prefix like 'orders-*'; received '${entry}'`,
    );
  }
}

/**
 * IAM resources for the validated entries: each function (a name pattern becomes
 * `arn:${Partition}:lambda:${Region}:${Account}:function:<pattern>`) and its qualifiers (`<arn>:*`:
 * versions and aliases).
 */
export function allowedFunctionResources(scope: IConstruct, entries: readonly string[]): string[] {
  return allowedFunctionArns(scope, entries).flatMap((arn) => [arn, `${arn}:*`]);
}

/**
 * The unqualified function ARN (or ARN pattern) of each validated entry: what code updates and
 * PublishVersion act on (`$LATEST`).
 */
export function allowedFunctionArns(scope: IConstruct, entries: readonly string[]): string[] {
  const stack = Stack.of(scope);
  return entries.map((entry) =>
    Token.isUnresolved(entry) || entry.startsWith('arn:')
      ? entry
      : stack.formatArn({ service: 'lambda', resource: 'function', resourceName: entry, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
  );
}
