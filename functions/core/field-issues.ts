/**
 * zod's issues as the field-and-rule pairs every refusal names: one per broken rule, with the
 * dotted path of the field. Shared by every schema of the core (rollout input, API bodies, gates).
 */
import type * as z from 'zod';
import type { FieldIssue } from './errors.js';

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/**
 * Flattens zod's issues into one per broken rule. A union's issues come from the branch that
 * matches the value's type, so a bad preset name is reported as such, not as "not an object".
 *
 * @example toFieldIssues(schema.safeParse({ limit: 0 }).error.issues) // [{ field: 'limit', rule: 'must be a whole number from 1 to 100' }]
 */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): FieldIssue[] {
  return issues.flatMap((issue): FieldIssue[] => {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch =
        issue.errors.find((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === 0)) ?? issue.errors[0];
      if (branch && branch.length > 0) return toFieldIssues(branch, path);
    }
    if (issue.code === 'invalid_key' || issue.code === 'invalid_element') {
      const key = 'key' in issue ? [issue.key as PropertyKey] : [];
      return toFieldIssues(issue.issues as z.core.$ZodIssue[], [...path, ...key]);
    }
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ field: fieldPath([...path, k]), rule: 'is not a known field' }));
    }
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      const rule = issue.message.startsWith('is required') ? issue.message : `is required; ${issue.message}`;
      return [{ field: fieldPath(path) || '(input)', rule }];
    }
    return [{ field: fieldPath(path) || '(input)', rule: issue.message }];
  });
}

