/**
 * The rollout registry's DynamoDB table: alias locks, rollout records and API idempotency keys. Its key
 * schema, indexes and TTL attribute are `REGISTRY_TABLE` in `functions/names.ts`, which the adapters
 * (`functions/aws/registry.ts`, `functions/aws/idempotency-store.ts`) query by, so the table and the code
 * cannot drift apart.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { REGISTRY_TABLE } from '../functions/names.js';

/** The table's partition and sort key attributes (both strings). */
export const REGISTRY_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** The item actions the registry adapter uses; its transaction needs nothing beyond UpdateItem. */
export const REGISTRY_ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'] as const;

export interface RegistryTableProps {
  /**
   * What happens to the table when it leaves the stack. Deletion protection is on either way.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * On-demand, point-in-time recovery, encrypted with an AWS managed key, deletion protection; `pk`/`sk`
 * keys, the adapter's global secondary indexes (projection ALL) and its TTL attribute.
 */
export class RegistryTable extends Construct {
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RegistryTableProps = {}) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: REGISTRY_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: REGISTRY_TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      timeToLiveAttribute: REGISTRY_TABLE.ttlAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const [indexName, keys] of Object.entries(REGISTRY_TABLE.indexes)) {
      const sortKey = 'sortKey' in keys ? keys.sortKey : undefined;
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: keys.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(sortKey ? { sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING } } : {}),
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
  }

  /** The ARN of each index, by name: grants name them one by one rather than `index/*`. */
  get indexArns(): string[] {
    return Object.keys(REGISTRY_TABLE.indexes).map((name) => `${this.table.tableArn}/index/${name}`);
  }

  /** Item reads on the table and Query on its indexes: what reading rollouts and locks needs, nothing more. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:Query'], resourceArns: [this.table.tableArn] }).combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:Query'], resourceArns: this.indexArns }),
    );
  }

  /** Item reads and writes on the table, Query on its indexes: what the registry adapter calls, nothing more. */
  grantReadWrite(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...REGISTRY_ITEM_ACTIONS], resources: [this.table.tableArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: this.indexArns }));
  }
}
