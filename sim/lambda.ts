/**
 * An in-memory Lambda control plane: functions, published versions (role, dead-letter target,
 * state), aliases with RevisionIds and weighted routing, provisioned concurrency that warms up over
 * time, reserved and account concurrency, event source mappings. It enforces what real Lambda
 * enforces for the calls rollouts make, records every alias and provisioned concurrency change,
 * and can inject faults.
 */
import {
  DriftError,
  NotFoundError,
  RejectedError,
  ThrottledError,
  TransientError,
  UpdateInProgressError,
} from '../functions/core/errors.js';
import { functionNameOf } from '../functions/core/function-ref.js';
import type { EventSourceMapping, ProvisionedConfig } from '../functions/core/concurrency.js';
import type { AliasState, AliasUpdate, VersionConfig } from '../functions/core/lambda-model.js';
import type { ConcurrencyControl, EventSources, LambdaControl } from '../functions/ports.js';

export interface SimVersionOptions {
  readonly role?: string;
  readonly deadLetterTargetArn?: string;
  readonly state?: string;
  readonly lastUpdateStatus?: string;
  readonly codeSha256?: string;
  /** A published version's description. */
  readonly description?: string;
}

interface SimFunction {
  readonly name: string;
  readonly arn: string;
  readonly versions: Map<string, VersionConfig>;
  readonly aliases: Map<string, AliasState>;
  nextVersion: number;
}

/** One recorded alias change: who made it and how the alias routed afterwards. */
export interface AliasChange {
  readonly at: number;
  readonly functionName: string;
  readonly alias: string;
  readonly functionVersion: string;
  readonly routing: Readonly<Record<string, number>>;
  readonly revisionId: string;
  /** "rollout" for UpdateAlias calls through the port, "createAlias" for CreateAlias, otherwise who changed it. */
  readonly by: string;
}

export type SimOperation = 'getVersion' | 'getAlias' | 'updateAlias' | 'createAlias' | 'getProvisioned' | 'putProvisioned' | 'deleteProvisioned';

/** How provisioned concurrency behaves in this world. */
export interface SimConcurrencySettings {
  /** How long a new configuration stays IN_PROGRESS before it is READY. Default 60. */
  readonly warmupSeconds?: number;
  /** When set, a new configuration ends FAILED with this reason instead of READY. */
  readonly failWith?: string;
  /** The account's unreserved concurrency. Default 1000. */
  readonly unreserved?: number;
  /** Reserved concurrency by function name. */
  readonly reserved?: Readonly<Record<string, number>>;
}

/** One recorded provisioned concurrency change. */
export interface ProvisionedChange {
  readonly at: number;
  readonly functionName: string;
  readonly qualifier: string;
  /** The executions requested; 0 for a removal. */
  readonly executions: number;
}

interface SimProvisioned {
  readonly requested: number;
  readonly readyAt: number;
  readonly failWith?: string | undefined;
}

/** Faults a test can inject: the next `times` calls of an operation throw. */
export type SimFault = 'throttle' | 'server-error' | 'in-progress' | ((call: { op: SimOperation; args: unknown }) => Error);

export interface SimLambdaOptions {
  readonly region?: string;
  readonly account?: string;
  /** The clock; `Date.now` by default (virtual under fake timers). */
  readonly now?: () => number;
  /** Called right before an alias changes, with the alias as it was: the world settles traffic up to now. */
  readonly beforeAliasChange?: (functionName: string, alias: AliasState) => void;
}

const DEFAULT_ROLE = 'arn:aws:iam::123456789012:role/service-role/app';

export class SimLambda implements LambdaControl, ConcurrencyControl, EventSources {
  readonly region: string;
  readonly account: string;
  /** Every alias change, in order, including creation. */
  readonly aliasChanges: AliasChange[] = [];
  /** Every call made through the port, in order. */
  readonly calls: { op: SimOperation; args: unknown; at: number }[] = [];
  private readonly functions = new Map<string, SimFunction>();
  private readonly faults: { op: SimOperation; fault: SimFault; times: number }[] = [];
  /** Every provisioned concurrency change, in order. */
  readonly provisionedChanges: ProvisionedChange[] = [];
  private revisions = 0;
  private readonly now: () => number;
  private readonly provisioned = new Map<string, SimProvisioned>();
  private readonly mappings = new Map<string, EventSourceMapping[]>();
  private concurrency: SimConcurrencySettings = {};

  constructor(private readonly options: SimLambdaOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '123456789012';
    this.now = options.now ?? (() => Date.now());
  }

  // ----- set-up, as a user would have done it before a rollout -----

  /** Creates a function with $LATEST; returns its ARN. */
  createFunction(name: string, options: SimVersionOptions = {}): string {
    const arn = `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
    const fn: SimFunction = { name, arn, versions: new Map(), aliases: new Map(), nextVersion: 1 };
    fn.versions.set('$LATEST', this.versionConfig(fn, '$LATEST', options));
    this.functions.set(name, fn);
    return arn;
  }

  /** Publishes the next version number with the given configuration; returns the version. */
  publishVersion(name: string, options: SimVersionOptions = {}): string {
    const fn = this.fn(name);
    const version = String(fn.nextVersion++);
    fn.versions.set(version, this.versionConfig(fn, version, options));
    return version;
  }

  /** Changes a version's configuration (state, role...), as Lambda or an operator would. */
  setVersion(name: string, version: string, options: SimVersionOptions): void {
    const fn = this.fn(name);
    const current = fn.versions.get(version);
    if (!current) throw new Error(`no version ${version} of ${name}`);
    fn.versions.set(version, { ...current, ...this.defined(options) });
  }

  /** Adds an alias on a version, optionally already split, as its owner set it up. */
  addAlias(name: string, alias: string, functionVersion: string, routing: Record<string, number> = {}, at = this.now()): AliasState {
    return this.store(this.fn(name), { name: alias, functionVersion, routing, revisionId: '' }, 'setup', at);
  }

  /** Someone else changes the alias (a person, another tool): the RevisionId moves on. */
  changeAliasExternally(name: string, alias: string, to: { functionVersion: string; routing?: Record<string, number> }, by = 'someone else'): AliasState {
    const fn = this.fn(name);
    const current = this.alias(fn, alias);
    this.options.beforeAliasChange?.(fn.name, current);
    return this.store(fn, { ...current, functionVersion: to.functionVersion, routing: to.routing ?? {} }, by);
  }

  /** How provisioned concurrency behaves from now on. */
  setConcurrency(settings: SimConcurrencySettings): void {
    this.concurrency = { ...this.concurrency, ...settings };
  }

  /** Provisioned concurrency configured before the rollout (e.g. on the alias), already READY. */
  provision(name: string, qualifier: string, executions: number): void {
    this.provisioned.set(`${name}:${qualifier}`, { requested: executions, readyAt: this.now() });
  }

  /** An event source mapping that invokes the function or alias `qualifier`. */
  addEventSourceMapping(name: string, qualifier: string, eventSourceArn: string): void {
    const arn = `${this.fn(name).arn}:${qualifier}`;
    const list = this.mappings.get(arn) ?? [];
    list.push({ uuid: `esm-${list.length + 1}`, eventSourceArn, state: 'Enabled' });
    this.mappings.set(arn, list);
  }

  /** The next `times` calls of `op` fail with the fault. */
  injectFault(op: SimOperation, fault: SimFault, times = 1): void {
    this.faults.push({ op, fault, times });
  }

  /** Every published version (not `$LATEST`) with its description, oldest first, without going through the port. */
  listVersions(name: string): (VersionConfig & { readonly description?: string })[] {
    return [...this.fn(functionNameOf(name)).versions.values()].filter((v) => v.version !== '$LATEST');
  }

  /** The alias as it is now, without going through the port (no call recorded, no fault). */
  peekAlias(name: string, alias: string): AliasState {
    return this.alias(this.fn(functionNameOf(name)), alias);
  }

  // ----- the port -----

  async getVersion(functionName: string, version: string): Promise<VersionConfig> {
    this.enter('getVersion', { functionName, version });
    const fn = this.fn(functionName);
    const config = fn.versions.get(version);
    if (!config) throw new NotFoundError(`Function not found: ${fn.arn}:${version}`);
    return config;
  }

  async getAlias(functionName: string, alias: string): Promise<AliasState> {
    this.enter('getAlias', { functionName, alias });
    return this.alias(this.fn(functionName), alias);
  }

  async updateAlias(update: AliasUpdate): Promise<AliasState> {
    this.enter('updateAlias', update);
    const fn = this.fn(update.functionName);
    const current = this.alias(fn, update.alias);
    if (current.revisionId !== update.revisionId) {
      throw new DriftError(`The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id`);
    }
    const primary = fn.versions.get(update.functionVersion);
    if (!primary) throw new NotFoundError(`Function not found: ${fn.arn}:${update.functionVersion}`);
    const extra = Object.entries(update.routing);
    if (extra.length > 1) throw new RejectedError('Number of additional versions in RoutingConfig cannot be more than 1');
    for (const [version, weight] of extra) {
      const config = fn.versions.get(version);
      if (!config) throw new NotFoundError(`Function not found: ${fn.arn}:${version}`);
      if (version === update.functionVersion) throw new RejectedError('Version in RoutingConfig must differ from the primary version');
      if (update.functionVersion === '$LATEST' || version === '$LATEST') {
        throw new RejectedError('$LATEST is not supported for an alias pointing to more than 1 version');
      }
      if (!(weight >= 0 && weight <= 100)) throw new RejectedError(`Invalid weight ${weight / 100}: must be between 0.0 and 1.0`);
      if (config.role !== primary.role || (config.deadLetterTargetArn ?? '') !== (primary.deadLetterTargetArn ?? '')) {
        throw new RejectedError('Alias can only point to versions with the same execution role and dead-letter queue');
      }
    }
    this.options.beforeAliasChange?.(fn.name, current);
    const routing = Object.fromEntries(extra.filter(([, w]) => w > 0));
    return this.store(fn, { ...current, functionVersion: update.functionVersion, routing }, 'rollout');
  }

  async createAlias(functionName: string, alias: string, functionVersion: string): Promise<AliasState> {
    this.enter('createAlias', { functionName, alias, functionVersion });
    const fn = this.fn(functionName);
    if (fn.aliases.has(alias)) throw new UpdateInProgressError(`Alias already exists: ${fn.arn}:${alias}`);
    if (!fn.versions.has(functionVersion)) throw new NotFoundError(`Function not found: ${fn.arn}:${functionVersion}`);
    return this.store(fn, { name: alias, functionVersion, routing: {}, revisionId: '' }, 'createAlias');
  }

  async getProvisioned(functionName: string, qualifier: string): Promise<ProvisionedConfig | undefined> {
    this.enter('getProvisioned', { functionName, qualifier });
    const fn = this.fn(functionName);
    const config = this.provisioned.get(`${fn.name}:${qualifier}`);
    return config && this.configOf(qualifier, config);
  }

  async listProvisioned(functionName: string): Promise<ProvisionedConfig[]> {
    const fn = this.fn(functionName);
    return [...this.provisioned.entries()].filter(([key]) => key.startsWith(`${fn.name}:`)).map(([key, c]) => this.configOf(key.slice(fn.name.length + 1), c));
  }

  async putProvisioned(functionName: string, qualifier: string, executions: number): Promise<ProvisionedConfig> {
    this.enter('putProvisioned', { functionName, qualifier, executions });
    const fn = this.fn(functionName);
    if (qualifier === '$LATEST') throw new RejectedError('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    if (!fn.versions.has(qualifier) && !fn.aliases.has(qualifier)) throw new NotFoundError(`Function not found: ${fn.arn}:${qualifier}`);
    const config: SimProvisioned = { requested: executions, readyAt: this.now() + (this.concurrency.warmupSeconds ?? 60) * 1000, failWith: this.concurrency.failWith };
    this.provisioned.set(`${fn.name}:${qualifier}`, config);
    this.provisionedChanges.push({ at: this.now(), functionName: fn.name, qualifier, executions });
    return this.configOf(qualifier, config);
  }

  async deleteProvisioned(functionName: string, qualifier: string): Promise<boolean> {
    this.enter('deleteProvisioned', { functionName, qualifier });
    const fn = this.fn(functionName);
    const existed = this.provisioned.delete(`${fn.name}:${qualifier}`);
    if (existed) this.provisionedChanges.push({ at: this.now(), functionName: fn.name, qualifier, executions: 0 });
    return existed;
  }

  async getReservedConcurrency(functionName: string): Promise<number | undefined> {
    return this.concurrency.reserved?.[this.fn(functionName).name];
  }

  async getUnreservedConcurrency(): Promise<number> {
    return this.concurrency.unreserved ?? 1000;
  }

  async listFor(functionArn: string): Promise<EventSourceMapping[]> {
    return [...(this.mappings.get(functionArn) ?? [])];
  }

  /** Provisioned concurrency as it is now, without going through the port. */
  peekProvisioned(name: string, qualifier: string): ProvisionedConfig | undefined {
    const config = this.provisioned.get(`${name}:${qualifier}`);
    return config && this.configOf(qualifier, config);
  }

  // ----- internals -----

  private configOf(qualifier: string, c: SimProvisioned): ProvisionedConfig {
    const warm = this.now() >= c.readyAt;
    if (!warm) return { qualifier, requested: c.requested, allocated: 0, status: 'IN_PROGRESS' };
    if (c.failWith) return { qualifier, requested: c.requested, allocated: 0, status: 'FAILED', reason: c.failWith };
    return { qualifier, requested: c.requested, allocated: c.requested, status: 'READY' };
  }

  private enter(op: SimOperation, args: unknown): void {
    this.calls.push({ op, args, at: this.now() });
    const i = this.faults.findIndex((f) => f.op === op && f.times > 0);
    const f = this.faults[i];
    if (!f) return;
    f.times -= 1;
    if (f.times === 0) this.faults.splice(i, 1);
    if (typeof f.fault === 'function') throw f.fault({ op, args });
    if (f.fault === 'throttle') throw new ThrottledError(`${op}: Rate exceeded`);
    if (f.fault === 'server-error') throw new TransientError(`${op}: ServiceException: internal error`);
    throw new UpdateInProgressError(`${op}: The operation cannot be performed at this time. An update is in progress for resource`);
  }

  private fn(ref: string): SimFunction {
    const fn = this.functions.get(functionNameOf(ref));
    if (!fn) throw new NotFoundError(`Function not found: arn:aws:lambda:${this.region}:${this.account}:function:${functionNameOf(ref)}`);
    return fn;
  }

  private alias(fn: SimFunction, name: string): AliasState {
    const alias = fn.aliases.get(name);
    if (!alias) throw new NotFoundError(`Alias not found: ${fn.arn}:${name}`);
    return alias;
  }

  private store(fn: SimFunction, alias: AliasState, by: string, at = this.now()): AliasState {
    this.revisions += 1;
    const revisionId = `rev-${String(this.revisions).padStart(6, '0')}`;
    const stored: AliasState = { ...alias, routing: { ...alias.routing }, revisionId };
    fn.aliases.set(alias.name, stored);
    this.aliasChanges.push({ at, functionName: fn.name, alias: alias.name, functionVersion: stored.functionVersion, routing: stored.routing, revisionId, by });
    return stored;
  }

  private versionConfig(fn: SimFunction, version: string, options: SimVersionOptions): VersionConfig {
    return {
      functionName: fn.name,
      functionArn: version === '$LATEST' ? fn.arn : `${fn.arn}:${version}`,
      version,
      state: 'Active',
      lastUpdateStatus: 'Successful',
      role: DEFAULT_ROLE,
      codeSha256: `sha-${fn.name}-${version}`,
      ...this.defined(options),
    };
  }

  private defined(options: SimVersionOptions): Partial<VersionConfig> {
    return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  }
}
