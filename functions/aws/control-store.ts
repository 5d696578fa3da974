/**
 * Rollout control records in DynamoDB: one item per rollout (`CONTROL#<rolloutId>`) in the registry
 * table (`dynamo-table.ts`). A write replaces the item only if it is still at the version the writer
 * read, so the API's requests and the workflow's writes never overwrite one another; the rules that
 * make each new record are `core/control.ts`'s. The in-memory twin is `sim/control-store.ts`; both
 * pass the same behavioural suite.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { RolloutControl } from '../core/control.js';
import type { ControlStore } from '../ports.js';
import { conditionalWrite, itemKey, RegistryTable, withoutAttributes } from './dynamo-table.js';

const keyOf = (rolloutId: string) => itemKey('CONTROL', rolloutId);
const INTERNAL = new Set(['pk', 'sk', 'type']);

/** Control records in the registry table. Every failure is a `core/errors.ts` class. */
export class DynamoControlStore implements ControlStore {
  private readonly table: RegistryTable;

  /** `table` may be a function, read at each call, so handlers load before their environment is checked. */
  constructor(client: DynamoDBDocumentClient, table: string | (() => string)) {
    this.table = new RegistryTable(client, table);
  }

  async get(rolloutId: string): Promise<RolloutControl | undefined> {
    const item = await this.table.getItem(keyOf(rolloutId), `GetItem control ${rolloutId}`);
    return item ? withoutAttributes<RolloutControl>(item, INTERNAL) : undefined;
  }

  async put(control: RolloutControl): Promise<boolean> {
    const first = control.version <= 1;
    return conditionalWrite(`PutItem control ${control.rolloutId} v${control.version}`, () =>
      this.table.client.send(
        new PutCommand({
          TableName: this.table.name,
          // A cleared field (a resumed pause) is left out, not stored as undefined.
          Item: { ...keyOf(control.rolloutId), type: 'control', ...(JSON.parse(JSON.stringify(control)) as RolloutControl) },
          ConditionExpression: first ? 'attribute_not_exists(#pk)' : '#version = :previous',
          ExpressionAttributeNames: first ? { '#pk': 'pk' } : { '#version': 'version' },
          ...(first ? {} : { ExpressionAttributeValues: { ':previous': control.version - 1 } }),
        }),
      ),
    );
  }
}
