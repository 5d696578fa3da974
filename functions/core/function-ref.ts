/** Lambda function references: a plain name or a full function ARN. */

export const FUNCTION_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
export const FUNCTION_ARN_PATTERN =
  /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:([a-zA-Z0-9_-]{1,64})$/;

/**
 * The bare function name of a name or ARN: what CloudWatch's FunctionName dimension holds.
 *
 * @example functionNameOf('arn:aws:lambda:eu-west-1:123456789012:function:orders') // 'orders'
 */
export function functionNameOf(ref: string): string {
  return FUNCTION_ARN_PATTERN.exec(ref)?.[1] ?? ref;
}

/** True for a function name or an unqualified function ARN. */
export function isFunctionRef(ref: string): boolean {
  return FUNCTION_NAME_PATTERN.test(ref) || FUNCTION_ARN_PATTERN.test(ref);
}
