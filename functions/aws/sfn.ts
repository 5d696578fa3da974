/**
 * Workflow over the AWS SDK v3 Step Functions client: start (for the API and the artifact trigger),
 * stop, describe, read history.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { NotFoundError, RejectedError, ThrottledError } from '../core/errors.js';
import type { ExecutionInfo, ExecutionStatus, Workflow } from '../ports.js';
import { ENV } from '../names.js';
import { toRolloutError } from './errors.js';

/** StopExecution's limits (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html). */
export const MAX_STOP_ERROR_CHARS = 256;
export const MAX_STOP_CAUSE_CHARS = 32_768;
/** GetExecutionHistory's largest page. */
export const HISTORY_PAGE_SIZE = 1000;
/** A Standard execution keeps at most 25,000 events: 25 pages of 1000 read it all. */
export const MAX_HISTORY_PAGES = 25;

const STATE_MACHINE_ARN = /^arn:(aws[a-zA-Z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

/**
 * The ARN of the execution `name` of a state machine: Step Functions names executions
 * `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`.
 *
 * @example executionArnOf('arn:aws:states:eu-west-1:123456789012:stateMachine:rollout', 'x') // 'arn:aws:states:eu-west-1:123456789012:execution:rollout:x'
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  const m = STATE_MACHINE_ARN.exec(stateMachineArn);
  if (!m) throw new RejectedError(`${ENV.stateMachineArn} is not a state machine ARN: ${JSON.stringify(stateMachineArn)}`);
  return `arn:${m[1]}:states:${m[2]}:${m[3]}:execution:${m[4]}:${name}`;
}

const STOPPED = new Set<ExecutionStatus>(['ABORTED', 'FAILED', 'TIMED_OUT']);

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

const nameOf = (error: unknown) => (typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined);

// Step Functions answers with names, not HTTP codes, for the cases that matter here.
function sfnError(error: unknown, context: string): Error {
  const name = nameOf(error);
  const message = `${context}: ${error instanceof Error ? error.message : String(error)}`;
  if (name === 'ExecutionDoesNotExist') return new NotFoundError(message, { cause: error });
  // The account's limit of open executions: free capacity comes back as executions end.
  if (name === 'ExecutionLimitExceeded') return new ThrottledError(message, { cause: error });
  return toRolloutError(error, context);
}

async function call<T>(context: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw sfnError(error, context);
  }
}

// Where a history event carries the workflow's data: what a state received or passed on, and
// what a task function returned.
function dataOf(event: HistoryEvent): (string | undefined)[] {
  return [
    event.stateExitedEventDetails?.output,
    event.lambdaFunctionSucceededEventDetails?.output,
    event.taskSucceededEventDetails?.output,
    event.stateEnteredEventDetails?.input,
    event.executionStartedEventDetails?.input,
  ];
}

function parse(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toInfo(out: DescribeExecutionCommandOutput, executionArn: string): ExecutionInfo {
  return {
    executionArn: out.executionArn ?? executionArn,
    name: out.name ?? executionArn.split(':').at(-1) ?? '',
    status: (out.status ?? 'RUNNING') as ExecutionStatus,
    startedAt: (out.startDate ?? new Date(0)).toISOString(),
    ...(out.stopDate ? { stoppedAt: out.stopDate.toISOString() } : {}),
    ...(out.error !== undefined ? { error: out.error } : {}),
    ...(out.cause !== undefined ? { cause: out.cause } : {}),
    ...(out.input !== undefined ? { input: parse(out.input) } : {}),
  };
}

/**
 * The rollout state machine through an `SFNClient`. The state machine ARN is read when first
 * needed, so functions that only describe executions (the guard) load without it.
 */
export class SfnWorkflow implements Workflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string | (() => string),
  ) {}

  private get arn(): string {
    const arn = typeof this.stateMachineArn === 'function' ? this.stateMachineArn() : this.stateMachineArn;
    if (!arn) throw new RejectedError(`${ENV.stateMachineArn} is not set: the API needs the ARN of the rollout state machine`);
    return arn;
  }

  executionArnFor(name: string): string {
    return executionArnOf(this.arn, name);
  }

  /**
   * StartExecution with the input as JSON. A Standard workflow answers the same name and input with
   * the running execution, and ExecutionAlreadyExists when the input differs or the execution has
   * ended: either way an execution of that name was started already, so both are success
   * (`alreadyStarted`). Names are the callers' idempotency: an artifact's, or the API's random one.
   */
  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const stateMachineArn = this.arn;
    try {
      const out = await this.client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionArn: out.executionArn ?? executionArnOf(stateMachineArn, name), alreadyStarted: false };
    } catch (error) {
      if (nameOf(error) === 'ExecutionAlreadyExists') return { executionArn: executionArnOf(stateMachineArn, name), alreadyStarted: true };
      throw sfnError(error, `StartExecution ${name} on ${stateMachineArn}`);
    }
  }

  /** StopExecution; the error and cause are clipped to Step Functions' limits. */
  async stop(executionArn: string, reason: { error: string; cause: string }): Promise<void> {
    await call(`StopExecution ${executionArn}`, () =>
      this.client.send(
        new StopExecutionCommand({ executionArn, error: clip(reason.error, MAX_STOP_ERROR_CHARS), cause: clip(reason.cause, MAX_STOP_CAUSE_CHARS) }),
      ),
    );
  }

  /**
   * DescribeExecution. For a stopped execution whose description carries no error or cause, the
   * last history event (ExecutionAborted, ExecutionFailed, ExecutionTimedOut) is read for them.
   */
  async describe(executionArn: string): Promise<ExecutionInfo> {
    const out = await call(`DescribeExecution ${executionArn}`, () => this.client.send(new DescribeExecutionCommand({ executionArn })));
    const info = toInfo(out, executionArn);
    if (!STOPPED.has(info.status) || info.error !== undefined || info.cause !== undefined) return info;
    try {
      const last = await this.client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }));
      const event = last.events?.[0];
      const d = event?.executionAbortedEventDetails ?? event?.executionFailedEventDetails ?? event?.executionTimedOutEventDetails;
      return { ...info, ...(d?.error ? { error: d.error } : {}), ...(d?.cause ? { cause: d.cause } : {}) };
    } catch {
      // The description stands on its own; the error and cause were a courtesy.
      return info;
    }
  }

  /** GetExecutionHistory newest first, page by page, until `pick` accepts a state's data. */
  async findInHistory<T>(executionArn: string, pick: (data: unknown) => T | undefined): Promise<T | undefined> {
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page += 1) {
      const out: GetExecutionHistoryCommandOutput = await call(`GetExecutionHistory ${executionArn}`, () =>
        this.client.send(
          new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: HISTORY_PAGE_SIZE, includeExecutionData: true, nextToken }),
        ),
      );
      for (const event of out.events ?? []) {
        for (const data of dataOf(event)) {
          const found = pick(parse(data));
          if (found !== undefined) return found;
        }
      }
      nextToken = out.nextToken;
      if (!nextToken) return undefined;
    }
    return undefined;
  }
}
