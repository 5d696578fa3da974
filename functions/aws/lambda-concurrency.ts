/**
 * ConcurrencyControl and EventSources over the AWS SDK v3 Lambda client: provisioned concurrency
 * configurations, the function's reserved concurrency, the account's unreserved concurrency, and
 * the event source mappings that invoke an alias.
 */
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetProvisionedConcurrencyConfigCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  ListProvisionedConcurrencyConfigsCommand,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import type { EventSourceMapping, ProvisionedConfig } from '../core/concurrency.js';
import { NotFoundError } from '../core/errors.js';
import type { ConcurrencyControl, EventSources } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/** A configuration as Lambda answers it (Get, Put and List items share these fields). */
interface ConfigAnswer {
  FunctionArn?: string | undefined;
  RequestedProvisionedConcurrentExecutions?: number | undefined;
  AllocatedProvisionedConcurrentExecutions?: number | undefined;
  Status?: string | undefined;
  StatusReason?: string | undefined;
}

function toConfig(qualifier: string, out: ConfigAnswer): ProvisionedConfig {
  const status = out.Status === 'READY' || out.Status === 'FAILED' ? out.Status : 'IN_PROGRESS';
  return {
    qualifier,
    requested: out.RequestedProvisionedConcurrentExecutions ?? 0,
    allocated: out.AllocatedProvisionedConcurrentExecutions,
    status,
    ...(out.StatusReason ? { reason: out.StatusReason } : {}),
  };
}

/** NotFound (no such configuration, or no such function concurrency) as undefined. */
async function orNone<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/** Provisioned and reserved concurrency through a `LambdaClient`. Every failure is a `core/errors.ts` class. */
export class AwsConcurrencyControl implements ConcurrencyControl {
  constructor(private readonly client: LambdaClient) {}

  async getProvisioned(functionName: string, qualifier: string): Promise<ProvisionedConfig | undefined> {
    const out = await orNone(
      mapAwsErrors(`GetProvisionedConcurrencyConfig ${functionName}:${qualifier}`, () =>
        this.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier })),
      ),
    );
    return out ? toConfig(qualifier, out) : undefined;
  }

  async listProvisioned(functionName: string): Promise<ProvisionedConfig[]> {
    const configs: ProvisionedConfig[] = [];
    let marker: string | undefined;
    do {
      const out = await mapAwsErrors(`ListProvisionedConcurrencyConfigs ${functionName}`, () =>
        this.client.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: functionName, Marker: marker, MaxItems: 50 })),
      );
      for (const item of out.ProvisionedConcurrencyConfigs ?? []) configs.push(toConfig(item.FunctionArn?.split(':')[7] ?? '', item));
      marker = out.NextMarker;
    } while (marker);
    return configs;
  }

  async putProvisioned(functionName: string, qualifier: string, executions: number): Promise<ProvisionedConfig> {
    const out = await mapAwsErrors(`PutProvisionedConcurrencyConfig ${functionName}:${qualifier}`, () =>
      this.client.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier, ProvisionedConcurrentExecutions: executions })),
    );
    return toConfig(qualifier, out);
  }

  async deleteProvisioned(functionName: string, qualifier: string): Promise<boolean> {
    const done = await orNone(
      mapAwsErrors(`DeleteProvisionedConcurrencyConfig ${functionName}:${qualifier}`, () =>
        this.client.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: qualifier })),
      ),
    );
    return done !== undefined;
  }

  async getReservedConcurrency(functionName: string): Promise<number | undefined> {
    const out = await mapAwsErrors(`GetFunctionConcurrency ${functionName}`, () => this.client.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })));
    return out.ReservedConcurrentExecutions;
  }

  async getUnreservedConcurrency(): Promise<number> {
    const out = await mapAwsErrors('GetAccountSettings', () => this.client.send(new GetAccountSettingsCommand({})));
    return out.AccountLimit?.UnreservedConcurrentExecutions ?? 0;
  }
}

/** The event source mappings of a function or alias ARN, every page. */
export class AwsEventSources implements EventSources {
  constructor(private readonly client: LambdaClient) {}

  async listFor(functionArn: string): Promise<EventSourceMapping[]> {
    const mappings: EventSourceMapping[] = [];
    let marker: string | undefined;
    do {
      const out = await mapAwsErrors(`ListEventSourceMappings ${functionArn}`, () =>
        this.client.send(new ListEventSourceMappingsCommand({ FunctionName: functionArn, Marker: marker, MaxItems: 100 })),
      );
      for (const m of out.EventSourceMappings ?? []) mappings.push({ uuid: m.UUID ?? '', eventSourceArn: m.EventSourceArn, state: m.State });
      marker = out.NextMarker;
    } while (marker);
    return mappings;
  }
}
