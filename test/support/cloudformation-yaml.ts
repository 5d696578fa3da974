/**
 * Reads CloudFormation and SAM templates written in YAML: the short forms of the intrinsic functions
 * (`!Ref`, `!GetAtt A.B`, `!Sub`, `!If [...]`...) become their JSON forms, as CloudFormation reads them.
 */
import { parseDocument, type Tags } from 'yaml';

/** The intrinsic functions with a `!Name` short form (all but Ref and Condition are `Fn::Name`). */
const INTRINSICS = ['Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'ToJsonString', 'Length'];

const keyOf = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);

/** `!GetAtt Resource.Attribute` as a scalar names the resource and the attribute with one dot. */
function scalarForm(name: string, value: string): unknown {
  if (name === 'GetAtt') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [keyOf(name)]: value };
}

const TAGS: Tags = ['Ref', 'Condition', ...INTRINSICS].flatMap((name) => [
  { tag: `!${name}`, resolve: (value: string) => scalarForm(name, value) },
  { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [keyOf(name)]: seq.toJSON() }) },
  { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [keyOf(name)]: map.toJSON() }) },
]) as Tags;

/** Parses a YAML template with CloudFormation's short-form tags. Throws on a YAML error, and on a tag CloudFormation does not know. */
export function parseCloudFormationYaml(text: string): Record<string, unknown> {
  const document = parseDocument(text, { customTags: TAGS, prettyErrors: true });
  const problems = [...document.errors, ...document.warnings];
  if (problems.length > 0) throw new Error(problems.map((p) => p.message).join('\n'));
  return document.toJS() as Record<string, unknown>;
}
