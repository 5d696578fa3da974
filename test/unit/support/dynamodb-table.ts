/**
 * A small DynamoDB table behind aws-sdk-client-mock, for running the registry adapter against
 * the same behavioural suite as its in-memory twin. It evaluates the condition, update, key and
 * filter expressions the adapter sends (the subset of the grammar it uses) and answers the way
 * DynamoDB does: ConditionalCheckFailedException and TransactionCanceledException with the old
 * item in wire form when asked (ALL_OLD), Limit counted before the filter, LastEvaluatedKey
 * whenever Limit was reached, ValidationException for unused or missing placeholders,
 * undefined values and updates of key attributes.
 */
import { type AttributeValue, ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

export interface IndexDef {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

class ValidationException extends Error {
  override readonly name = 'ValidationException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
}

/** DynamoDB's wire form of a value, as condition-failure items come back. */
export function marshall(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map(marshall) };
  if (typeof value === 'object') return { M: Object.fromEntries(Object.entries(value as Item).map(([k, v]) => [k, marshall(v)])) };
  throw new ValidationException(`cannot marshall ${typeof value}`);
}

function assertNoUndefined(value: unknown, where: string): void {
  if (value === undefined) {
    throw new Error(`Pass options.removeUndefinedValues=true to remove undefined values from map/array/set (${where})`);
  }
  if (Array.isArray(value)) value.forEach((v, i) => assertNoUndefined(v, `${where}[${i}]`));
  else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) assertNoUndefined(v, `${where}.${k}`);
  }
}

// ---- expressions ----------------------------------------------------------------------------

type Token = { kind: 'name' | 'value' | 'word' | 'op' | 'punct'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|<>|<=|>=|[=<>(),]|[A-Za-z_][A-Za-z0-9_]*)/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expression);
    if (!m) throw new ValidationException(`Invalid expression: syntax error near "${expression.slice(at, at + 10)}"`);
    const text = m[1] as string;
    const kind = text.startsWith('#') ? 'name' : text.startsWith(':') ? 'value' : /^[A-Za-z_]/.test(text) ? 'word' : /^[(),]$/.test(text) ? 'punct' : 'op';
    tokens.push({ kind, text });
    at = re.lastIndex;
  }
  return tokens;
}

type Operand = { kind: 'path'; name: string } | { kind: 'value'; value: unknown };
type Cond =
  | { kind: 'and' | 'or'; left: Cond; right: Cond }
  | { kind: 'not'; inner: Cond }
  | { kind: 'exists' | 'not_exists'; path: string }
  | { kind: 'begins_with'; path: string; prefix: Operand }
  | { kind: 'cmp'; op: string; left: Operand; right: Operand }
  | { kind: 'in'; left: Operand; list: Operand[] };

class Parser {
  private i = 0;
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();
  constructor(
    private readonly tokens: Token[],
    private readonly names: Names,
    private readonly values: Values,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new ValidationException('Invalid expression: unexpected end');
    return t;
  }
  private expect(text: string): void {
    const t = this.next();
    if (t.text.toUpperCase() !== text.toUpperCase()) throw new ValidationException(`Invalid expression: expected ${text}, got ${t.text}`);
  }
  done(): boolean {
    return this.i >= this.tokens.length;
  }

  path(): string {
    const t = this.next();
    if (t.kind === 'name') {
      const resolved = this.names?.[t.text];
      if (resolved === undefined) throw new ValidationException(`An expression attribute name used in the document path is not defined; attribute name: ${t.text}`);
      this.usedNames.add(t.text);
      return resolved;
    }
    // The adapter puts every attribute behind a placeholder; a bare name here is a mistake
    // (and, for reserved words such as status or ttl, one DynamoDB rejects).
    throw new ValidationException(`Bare attribute name ${t.text}: use an expression attribute name`);
  }

  operand(): Operand {
    const t = this.peek();
    if (t?.kind === 'value') {
      this.next();
      if (!this.values || !(t.text in this.values)) throw new ValidationException(`An expression attribute value used in expression is not defined; attribute value: ${t.text}`);
      this.usedValues.add(t.text);
      return { kind: 'value', value: this.values[t.text] };
    }
    return { kind: 'path', name: this.path() };
  }

  condition(): Cond {
    let left = this.conjunction();
    while (this.peek()?.text.toUpperCase() === 'OR') {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Cond {
    let left = this.negation();
    while (this.peek()?.text.toUpperCase() === 'AND') {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Cond {
    if (this.peek()?.text.toUpperCase() === 'NOT') {
      this.next();
      return { kind: 'not', inner: this.negation() };
    }
    return this.primary();
  }

  private primary(): Cond {
    const t = this.peek();
    if (t?.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (t?.kind === 'word' && ['attribute_exists', 'attribute_not_exists', 'begins_with'].includes(t.text)) {
      this.next();
      this.expect('(');
      const path = this.path();
      if (t.text === 'begins_with') {
        this.expect(',');
        const prefix = this.operand();
        this.expect(')');
        return { kind: 'begins_with', path, prefix };
      }
      this.expect(')');
      return { kind: t.text === 'attribute_exists' ? 'exists' : 'not_exists', path };
    }
    const left = this.operand();
    const op = this.next();
    if (op.text.toUpperCase() === 'IN') {
      this.expect('(');
      const list = [this.operand()];
      while (this.peek()?.text === ',') {
        this.next();
        list.push(this.operand());
      }
      this.expect(')');
      return { kind: 'in', left, list };
    }
    if (op.kind !== 'op') throw new ValidationException(`Invalid expression: expected a comparator, got ${op.text}`);
    return { kind: 'cmp', op: op.text, left, right: this.operand() };
  }

  /** SET #a = :v, #b = if_not_exists(#b, :w) [REMOVE #c, ...] */
  update(): { sets: { path: string; value: Operand; ifNotExists?: string }[]; removes: string[] } {
    const sets: { path: string; value: Operand; ifNotExists?: string }[] = [];
    const removes: string[] = [];
    while (!this.done()) {
      const clause = this.next().text.toUpperCase();
      if (clause === 'SET') {
        do {
          if (this.peek()?.text === ',') this.next();
          const path = this.path();
          this.expect('=');
          if (this.peek()?.text === 'if_not_exists') {
            this.next();
            this.expect('(');
            const guard = this.path();
            this.expect(',');
            const value = this.operand();
            this.expect(')');
            sets.push({ path, value, ifNotExists: guard });
          } else {
            sets.push({ path, value: this.operand() });
          }
        } while (this.peek()?.text === ',');
      } else if (clause === 'REMOVE') {
        do {
          if (this.peek()?.text === ',') this.next();
          removes.push(this.path());
        } while (this.peek()?.text === ',');
      } else {
        throw new ValidationException(`Invalid UpdateExpression: unknown clause ${clause}`);
      }
    }
    return { sets, removes };
  }
}

function resolve(operand: Operand, item: Item): unknown {
  return operand.kind === 'value' ? operand.value : item[operand.name];
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return false;
  if (op === '=') return JSON.stringify(a) === JSON.stringify(b);
  if (op === '<>') return JSON.stringify(a) !== JSON.stringify(b);
  if (typeof a !== typeof b || (typeof a !== 'string' && typeof a !== 'number')) return false;
  const x = a as string | number;
  const y = b as string | number;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
  }
  throw new ValidationException(`unknown comparator ${op}`);
}

function evaluate(cond: Cond, item: Item): boolean {
  switch (cond.kind) {
    case 'and':
      return evaluate(cond.left, item) && evaluate(cond.right, item);
    case 'or':
      return evaluate(cond.left, item) || evaluate(cond.right, item);
    case 'not':
      return !evaluate(cond.inner, item);
    case 'exists':
      return item[cond.path] !== undefined;
    case 'not_exists':
      return item[cond.path] === undefined;
    case 'begins_with': {
      const v = item[cond.path];
      const p = resolve(cond.prefix, item);
      return typeof v === 'string' && typeof p === 'string' && v.startsWith(p);
    }
    case 'cmp':
      return compare(cond.op, resolve(cond.left, item), resolve(cond.right, item));
    case 'in':
      return cond.list.some((o) => compare('=', resolve(cond.left, item), resolve(o, item)));
  }
}

interface ExpressionInput {
  ConditionExpression?: string;
  UpdateExpression?: string;
  KeyConditionExpression?: string;
  FilterExpression?: string;
  ExpressionAttributeNames?: Names;
  ExpressionAttributeValues?: Values;
}

/** Parses every expression of a request and checks, as DynamoDB does, that every placeholder given is used. */
function parseRequest(input: ExpressionInput) {
  const names = input.ExpressionAttributeNames;
  const values = input.ExpressionAttributeValues;
  assertNoUndefined(values ?? {}, 'ExpressionAttributeValues');
  const usedNames = new Set<string>();
  const usedValues = new Set<string>();
  const parse = <T>(expression: string | undefined, run: (p: Parser) => T): T | undefined => {
    if (expression === undefined) return undefined;
    const p = new Parser(tokenize(expression), names, values);
    const out = run(p);
    if (!p.done()) throw new ValidationException(`Invalid expression: trailing tokens in "${expression}"`);
    p.usedNames.forEach((n) => usedNames.add(n));
    p.usedValues.forEach((v) => usedValues.add(v));
    return out;
  };
  const condition = parse(input.ConditionExpression, (p) => p.condition());
  const update = parse(input.UpdateExpression, (p) => p.update());
  const key = parse(input.KeyConditionExpression, (p) => p.condition());
  const filter = parse(input.FilterExpression, (p) => p.condition());
  const unusedNames = Object.keys(names ?? {}).filter((n) => !usedNames.has(n));
  if (unusedNames.length > 0) throw new ValidationException(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
  const unusedValues = Object.keys(values ?? {}).filter((v) => !usedValues.has(v));
  if (unusedValues.length > 0) throw new ValidationException(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
  return { condition, update, key, filter };
}

type DocumentClientMock = ReturnType<typeof mockDocumentClient>;
const mockDocumentClient = () => mockClient(DynamoDBDocumentClient);

// ---- the table ------------------------------------------------------------------------------

export class FakeTable {
  private readonly items = new Map<string, Item>();
  /** Every request, in order, with its command name. */
  readonly requests: { command: string; input: unknown }[] = [];

  constructor(
    readonly tableName: string,
    private readonly indexes: Readonly<Record<string, IndexDef>>,
  ) {}

  /** Answers the document client's commands from this table. */
  attach(mock: DocumentClientMock): void {
    mock.on(GetCommand).callsFake(async (input) => this.run('Get', input, () => this.get(input)));
    mock.on(PutCommand).callsFake(async (input) => this.run('Put', input, () => this.put(input)));
    mock.on(UpdateCommand).callsFake(async (input) => this.run('Update', input, () => this.update(input)));
    mock.on(DeleteCommand).callsFake(async (input) => this.run('Delete', input, () => this.delete(input)));
    mock.on(QueryCommand).callsFake(async (input) => this.run('Query', input, () => this.query(input)));
    mock.on(TransactWriteCommand).callsFake(async (input) => this.run('TransactWrite', input, () => this.transact(input)));
  }

  /** A copy of the stored item. */
  item(pk: string, sk: string): Item | undefined {
    const item = this.items.get(this.id({ pk, sk }));
    return item && structuredClone(item);
  }

  /** Puts an item as it is, bypassing conditions (for setting a scene). */
  seed(item: Item): void {
    this.items.set(this.id(item), structuredClone(item));
  }

  get size(): number {
    return this.items.size;
  }

  private run<T>(command: string, input: { TableName?: string }, body: () => T): T {
    this.requests.push({ command, input: structuredClone(input) });
    if (command !== 'TransactWrite' && input.TableName !== this.tableName) {
      throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    }
    return body();
  }

  private id(key: Item): string {
    if (typeof key.pk !== 'string' || typeof key.sk !== 'string' || !key.pk || !key.sk) {
      throw new ValidationException('One or more parameter values were invalid: the key must have non-empty string pk and sk');
    }
    return `${key.pk}\u0000${key.sk}`;
  }

  private checkIndexKeys(item: Item): void {
    for (const def of Object.values(this.indexes)) {
      for (const attr of [def.partitionKey, def.sortKey]) {
        if (attr === undefined || item[attr] === undefined) continue;
        if (typeof item[attr] !== 'string' || item[attr] === '') {
          throw new ValidationException(`One or more parameter values were invalid: index key attribute ${attr} must be a non-empty string`);
        }
      }
    }
  }

  private get(input: { Key?: Item }) {
    const item = this.items.get(this.id(input.Key ?? {}));
    return item ? { Item: structuredClone(item), $metadata: { httpStatusCode: 200 } } : { $metadata: { httpStatusCode: 200 } };
  }

  private conditionFailed(existing: Item | undefined, wantOld: unknown): never {
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      ...(wantOld === 'ALL_OLD' && existing ? { Item: (marshall(existing) as { M: Record<string, AttributeValue> }).M } : {}),
    });
  }

  // Each write is planned (checked, new item computed) before anything is stored, so that a
  // transaction applies all its writes or none.
  private planPut(input: { Item?: Item } & ExpressionInput) {
    assertNoUndefined(input.Item ?? {}, 'Item');
    const next = structuredClone(input.Item ?? {});
    const id = this.id(next);
    const { condition } = parseRequest(input);
    const existing = this.items.get(id);
    this.checkIndexKeys(next);
    return { id, existing, ok: !condition || evaluate(condition, existing ?? {}), apply: () => this.items.set(id, next) };
  }

  private planUpdate(input: { Key?: Item } & ExpressionInput) {
    const key = input.Key ?? {};
    const id = this.id(key);
    const { condition, update } = parseRequest(input);
    const existing = this.items.get(id);
    const next: Item = structuredClone(existing ?? { pk: key.pk, sk: key.sk });
    for (const set of update?.sets ?? []) {
      if (set.path === 'pk' || set.path === 'sk') throw new ValidationException(`Cannot update attribute ${set.path}. This attribute is part of the key`);
      const value = resolve(set.value, existing ?? {});
      next[set.path] = set.ifNotExists !== undefined && (existing ?? {})[set.ifNotExists] !== undefined ? (existing as Item)[set.ifNotExists] : structuredClone(value);
    }
    for (const path of update?.removes ?? []) delete next[path];
    this.checkIndexKeys(next);
    return { id, existing, ok: !condition || evaluate(condition, existing ?? {}), apply: () => this.items.set(id, next) };
  }

  private planDelete(input: { Key?: Item } & ExpressionInput) {
    const id = this.id(input.Key ?? {});
    const { condition } = parseRequest(input);
    const existing = this.items.get(id);
    return { id, existing, ok: !condition || evaluate(condition, existing ?? {}), apply: () => this.items.delete(id) };
  }

  private put(input: { Item?: Item; ReturnValuesOnConditionCheckFailure?: string } & ExpressionInput) {
    const plan = this.planPut(input);
    if (!plan.ok) this.conditionFailed(plan.existing, input.ReturnValuesOnConditionCheckFailure);
    plan.apply();
    return { $metadata: { httpStatusCode: 200 } };
  }

  private update(input: { Key?: Item; ReturnValuesOnConditionCheckFailure?: string } & ExpressionInput) {
    const plan = this.planUpdate(input);
    if (!plan.ok) this.conditionFailed(plan.existing, input.ReturnValuesOnConditionCheckFailure);
    plan.apply();
    return { $metadata: { httpStatusCode: 200 } };
  }

  private delete(input: { Key?: Item; ReturnValuesOnConditionCheckFailure?: string } & ExpressionInput) {
    const plan = this.planDelete(input);
    if (!plan.ok) this.conditionFailed(plan.existing, input.ReturnValuesOnConditionCheckFailure);
    plan.apply();
    return { $metadata: { httpStatusCode: 200 } };
  }

  private transact(input: { TransactItems?: Record<string, ({ TableName?: string; ReturnValuesOnConditionCheckFailure?: string } & Item) | undefined>[] }) {
    const entries = input.TransactItems ?? [];
    const plans = entries.map((entry) => {
      const [kind, op] = Object.entries(entry).find(([, v]) => v !== undefined) ?? [];
      if (!op || typeof op !== 'object') throw new ValidationException('TransactItems entry without an operation');
      const request = op as { TableName?: string; ReturnValuesOnConditionCheckFailure?: string } & Item & ExpressionInput;
      if (request.TableName !== this.tableName) throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      const plan = kind === 'Put' ? this.planPut(request) : kind === 'Update' ? this.planUpdate(request) : kind === 'Delete' ? this.planDelete(request) : undefined;
      if (!plan) throw new ValidationException(`unsupported transaction operation ${kind}`);
      return { plan, wantOld: request.ReturnValuesOnConditionCheckFailure };
    });
    if (new Set(plans.map((p) => p.plan.id)).size !== plans.length) {
      throw new ValidationException('Transaction request cannot include multiple operations on one item');
    }
    if (plans.some((p) => !p.plan.ok)) {
      const reasons = plans.map(({ plan, wantOld }) =>
        plan.ok
          ? { Code: 'None' }
          : {
              Code: 'ConditionalCheckFailed',
              Message: 'The conditional request failed',
              ...(wantOld === 'ALL_OLD' && plan.existing ? { Item: (marshall(plan.existing) as { M: Record<string, AttributeValue> }).M } : {}),
            },
      );
      throw new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: reasons,
      });
    }
    plans.forEach((p) => p.plan.apply());
    return { $metadata: { httpStatusCode: 200 } };
  }

  private query(input: {
    IndexName?: string;
    ScanIndexForward?: boolean;
    Limit?: number;
    ExclusiveStartKey?: Item;
  } & ExpressionInput) {
    const def: IndexDef = input.IndexName === undefined ? { partitionKey: 'pk', sortKey: 'sk' } : (this.indexes[input.IndexName] as IndexDef);
    if (!def) throw new ValidationException(`The table does not have the specified index: ${input.IndexName}`);
    if (input.Limit !== undefined && input.Limit < 1) throw new ValidationException('Limit must be at least 1');
    const { key, filter } = parseRequest(input);
    if (!key) throw new ValidationException('KeyConditionExpression is required');
    const order = (item: Item): string[] => [String(item[def.sortKey ?? 'pk'] ?? ''), String(item.pk), String(item.sk)];
    const cmp = (a: string[], b: string[]) => {
      for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] as string) < (b[i] as string) ? -1 : 1;
      return 0;
    };
    const forward = input.ScanIndexForward !== false;
    let candidates = [...this.items.values()]
      .filter((item) => item[def.partitionKey] !== undefined && (def.sortKey === undefined || item[def.sortKey] !== undefined))
      .filter((item) => evaluate(key, item))
      .sort((a, b) => (forward ? cmp(order(a), order(b)) : cmp(order(b), order(a))));
    if (input.ExclusiveStartKey) {
      const start = order(input.ExclusiveStartKey);
      candidates = candidates.filter((item) => (forward ? cmp(order(item), start) > 0 : cmp(order(item), start) < 0));
    }
    const evaluated = input.Limit === undefined ? candidates : candidates.slice(0, input.Limit);
    const items = filter ? evaluated.filter((item) => evaluate(filter, item)) : evaluated;
    const last = evaluated.at(-1);
    const lastKey =
      input.Limit !== undefined && evaluated.length === input.Limit && last
        ? Object.fromEntries(['pk', 'sk', def.partitionKey, def.sortKey].filter((a): a is string => a !== undefined).map((a) => [a, last[a]]))
        : undefined;
    return {
      Items: items.map((i) => structuredClone(i)),
      Count: items.length,
      ScannedCount: evaluated.length,
      ...(lastKey ? { LastEvaluatedKey: lastKey } : {}),
      $metadata: { httpStatusCode: 200 },
    };
  }
}

/** A mocked document client answering from a fresh table. */
export function fakeDocumentClient(tableName: string, indexes: Readonly<Record<string, IndexDef>>) {
  const mock = mockDocumentClient();
  mock.reset();
  const table = new FakeTable(tableName, indexes);
  table.attach(mock);
  return { mock, table };
}
