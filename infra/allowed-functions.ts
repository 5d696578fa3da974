/**
 * The functions a rollout may touch, and the hooks it may invoke: validation of the
 * `allowedFunctions` and `allowedHooks` props and the IAM resources they grant. Pure except for
 * `Stack.formatArn`, which only builds tokens.
 */
import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { InvalidPropError } from './errors.js';

/** An entry of `allowedFunctions` or `allowedHooks`: a function construct (an alias or version stands for its function), or a name, name pattern or ARN. */
export type AllowedFunction = string | lambda.IFunction;

/** A function name, or a name pattern where `*` matches any characters (IAM wildcard). */
const NAME = '[A-Za-z0-9_*-]{1,64}';
const NAME_PATTERN = new RegExp(`^${NAME}$`);
/** An unqualified Lambda function ARN in a concrete partition, region and account. */
const FUNCTION_ARN = new RegExp(`^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\\d+:\\d{12}:function:(${NAME})$`);

const EXPECTED =
  "a function (IFunction, IAlias or IVersion), a function name or name pattern like 'orders-*', or an unqualified " +
  "function ARN like 'arn:aws:lambda:us-east-1:123456789012:function:payments'";

/**
 * Checks `allowedFunctions` and returns its entries as strings without duplicates: a function
 * construct becomes its unqualified ARN (an alias's or a version's function), a token, and
 * unresolved tokens are taken as unqualified function ARNs.
 *
 * @throws InvalidPropError naming the prop, the rule and the value received, for an empty list, `*`
 *   alone (or `arn:...:function:*`), a qualified ARN, or anything that is not a function, a name pattern
 *   or a function ARN.
 * @example validateAllowedFunctions(['orders-*', 'payments']) // ['orders-*', 'payments']
 */
export function validateAllowedFunctions(entries: readonly AllowedFunction[] | undefined): string[] {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new InvalidPropError(
      `allowedFunctions must list at least one function: ${EXPECTED}; received ${JSON.stringify(entries)}`,
    );
  }
  return [...new Set(entries.map((entry, index) => checkEntry(entry, `allowedFunctions[${index}]`, EVERY_FUNCTION_ALIAS)))];
}

/**
 * Checks `allowedHooks` by the same rules as `allowedFunctions`, except that it may be empty (no
 * hook but the construct's own smoke-test hook), and returns its entries as strings without
 * duplicates.
 *
 * @throws InvalidPropError naming the prop, the rule and the value received.
 * @example validateAllowedHooks(['checks-*', 'checks-*']) // ['checks-*']
 */
export function validateAllowedHooks(entries: readonly AllowedFunction[] | undefined): string[] {
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) throw new InvalidPropError(`allowedHooks must be a list, each entry ${EXPECTED}; received ${received(entries)}`);
  return [...new Set(entries.map((entry, index) => checkEntry(entry, `allowedHooks[${index}]`, EVERY_FUNCTION_INVOKED)))];
}

const EVERY_FUNCTION_ALIAS = 'would let a rollout rewrite the aliases of all functions in the account';
const EVERY_FUNCTION_INVOKED = 'would let a rollout invoke every function in the account as a hook';

/** The function an alias or a version routes to; a function itself otherwise. */
function functionOf(fn: lambda.IFunction): lambda.IFunction {
  if ('aliasName' in fn && 'version' in fn) return (fn as lambda.IAlias).version.lambda;
  if ('lambda' in fn && typeof (fn as lambda.IVersion).version === 'string') return (fn as lambda.IVersion).lambda;
  return fn;
}

const isFunction = (entry: unknown): entry is lambda.IFunction =>
  typeof entry === 'object' && entry !== null && typeof (entry as lambda.IFunction).functionArn === 'string';

function received(entry: unknown): string {
  if (typeof entry === 'string') return `'${entry}'`;
  if (typeof entry === 'object' && entry !== null && 'node' in entry) return `the construct ${(entry as IConstruct).node.path}`;
  return JSON.stringify(entry) ?? String(entry);
}

function checkEntry(value: unknown, field: string, everyFunction: string): string {
  const entry = isFunction(value) ? functionOf(value).functionArn : value;
  if (typeof entry !== 'string') {
    throw new InvalidPropError(`${field} must be ${EXPECTED}; received ${received(value)}`);
  }
  if (Token.isUnresolved(entry)) return entry;
  const name = NAME_PATTERN.test(entry) ? entry : FUNCTION_ARN.exec(entry)?.[1];
  if (name === undefined) {
    const qualified = /:function:[^:]+:/.test(entry) ? ' (without a version or alias: the grant covers them)' : '';
    throw new InvalidPropError(`${field} must be ${EXPECTED}${qualified}; received '${entry}'`);
  }
  if (/^\*+$/.test(name)) {
    throw new InvalidPropError(
      `${field} must not match every function ('*' alone ${everyFunction}); ` +
        `name the functions or a prefix like 'orders-*'; received '${entry}'`,
    );
  }
  return entry;
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
