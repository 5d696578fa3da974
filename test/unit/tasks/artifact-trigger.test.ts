import 'aws-sdk-client-mock-vitest/extend';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SfnWorkflow } from '../../../functions/aws/sfn.js';
import { ErrorName, NotFoundError, ThrottledError } from '../../../functions/core/errors.js';
import { releaseExecutionName } from '../../../functions/core/artifact.js';
import { ENV } from '../../../functions/names.js';
import { sha256Hex } from '../../../functions/sha256.js';
import { triggerConfigFromEnv } from '../../../functions/handlers/artifact-trigger.js';
import { makeArtifactTrigger, type ObjectCreatedEvent, type TriggerPorts } from '../../../functions/tasks/artifact-trigger.js';
import type { ArtifactReader, Workflow } from '../../../functions/ports.js';
import { SimLambda } from '../../../sim/lambda.js';
import { fixedClock, RecordingNotifier } from '../../support/fakes.js';

const BUCKET = 'lambda-rollout-artifacts';
const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Rollout';
const HOME = { partition: 'aws', region: 'eu-west-1', account: '123456789012' };
const CONFIG = { bucket: BUCKET, prefix: 'releases/', allowedFunctions: ['orders-*', 'arn:aws:lambda:eu-west-1:123456789012:function:payments'], home: HOME };

/** The S3 "Object Created" event as EventBridge delivers it (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). */
function objectCreated(key: string, versionId: string | null = 'v-42', bucket = BUCKET): ObjectCreatedEvent {
  return {
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '123456789012',
    time: '2026-01-05T10:00:00Z',
    region: 'eu-west-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 5_242_880, etag: 'b1946ac92492d2347c6235b4d2611184', ...(versionId ? { 'version-id': versionId } : {}), sequencer: '00617F08299329D189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  } as ObjectCreatedEvent;
}

/** Step Functions' name rule for Standard workflows: a name is used once; a repeat starts nothing. */
class FakeStarter implements Pick<Workflow, 'start'> {
  readonly executions = new Map<string, unknown>();
  readonly calls: { name: string; input: unknown }[] = [];
  async start(name: string, input: unknown) {
    this.calls.push({ name, input });
    const executionArn = `${SM.replace(':stateMachine:', ':execution:')}:${name}`;
    if (this.executions.has(name)) return { executionArn, alreadyStarted: true };
    this.executions.set(name, input);
    return { executionArn, alreadyStarted: false };
  }
}

class FakeArtifacts implements ArtifactReader {
  readonly reads: [string, string, string][] = [];
  constructor(public tags: Record<string, string> = {}, public metadata: Record<string, string> = {}, public missing = false) {}
  async readArtifact(bucket: string, key: string, versionId: string) {
    this.reads.push([bucket, key, versionId]);
    if (this.missing) throw new NotFoundError('HeadObject: Not Found');
    return { tags: this.tags, metadata: this.metadata };
  }
}

function setUp(artifacts = new FakeArtifacts()) {
  const lambda = new SimLambda();
  lambda.createFunction('orders-api');
  lambda.createFunction('payments');
  const starter = new FakeStarter();
  const notifier = new RecordingNotifier();
  const ports: TriggerPorts = { lambda, artifacts, starter, notifier, clock: fixedClock(), config: CONFIG };
  return { trigger: makeArtifactTrigger(ports), lambda, starter, notifier, artifacts };
}

describe('artifact trigger: starting a release', () => {
  it('starts one rollout for the object version, with an idempotent name and the release input', async () => {
    const { trigger, starter, notifier, artifacts } = setUp();

    const result = await trigger(objectCreated('releases/orders-api/live/2026-01-05.3.zip'));

    const name = releaseExecutionName({ bucket: BUCKET, key: 'releases/orders-api/live/2026-01-05.3.zip', versionId: 'v-42', functionName: 'orders-api', alias: 'live' }, sha256Hex);
    expect(starter.calls).toEqual([
      {
        name,
        input: {
          functionName: 'orders-api',
          alias: 'live',
          release: {
            s3Bucket: BUCKET,
            s3Key: 'releases/orders-api/live/2026-01-05.3.zip',
            s3ObjectVersion: 'v-42',
            build: '2026-01-05.3',
            description: `lambda-rollout build 2026-01-05.3 from s3://${BUCKET}/releases/orders-api/live/2026-01-05.3.zip (version v-42)`,
          },
        },
      },
    ]);
    expect(result).toMatchObject({ started: true, alreadyStarted: false, executionName: name, executionArn: `arn:aws:states:eu-west-1:123456789012:execution:Rollout:${name}` });
    expect(artifacts.reads).toEqual([[BUCKET, 'releases/orders-api/live/2026-01-05.3.zip', 'v-42']]);
    expect(notifier.published).toEqual([]);
  });

  it('starts one rollout when the same object version is delivered twice', async () => {
    const { trigger, starter, notifier } = setUp();
    const event = objectCreated('releases/orders-api/live/42.zip');

    const first = await trigger(event);
    const second = await trigger(structuredClone(event));

    expect(starter.executions.size).toBe(1);
    expect(first).toMatchObject({ started: true, alreadyStarted: false });
    expect(second).toMatchObject({ started: true, alreadyStarted: true, executionName: (first as { executionName: string }).executionName });
    expect(notifier.published).toEqual([]);
  });

  it('starts a second rollout for a new version of the same key', async () => {
    const { trigger, starter } = setUp();
    await trigger(objectCreated('releases/orders-api/live/42.zip', 'v-1'));
    await trigger(objectCreated('releases/orders-api/live/42.zip', 'v-2'));
    expect(starter.executions.size).toBe(2);
  });

  it('uses the full ARN for a function allowed by ARN', async () => {
    const { trigger, starter } = setUp();
    await trigger(objectCreated('releases/payments/live/7.zip'));
    expect(starter.calls[0]?.input).toMatchObject({ functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:payments' });
  });

  it('takes the strategy and description from the object tags or metadata', async () => {
    const { trigger, starter } = setUp(new FakeArtifacts({ 'rollout-description': 'fix retries' }, { 'rollout-strategy': '{"type":"linear","percent":20,"intervalSeconds":120}' }));
    await trigger(objectCreated('releases/orders-api/live/42.zip'));
    expect(starter.calls[0]?.input).toMatchObject({
      strategy: { type: 'linear', percent: 20, intervalSeconds: 120 },
      release: { description: 'fix retries' },
    });
  });
});

describe('artifact trigger: SFN ExecutionAlreadyExists is success', () => {
  const sfnMock = mockClient(SFNClient);
  beforeEach(() => sfnMock.reset());

  it('a duplicate event whose StartExecution answers ExecutionAlreadyExists starts nothing more and notifies nothing', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:Rollout:x', startDate: new Date(0) })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: { httpStatusCode: 400 } }));
    const { lambda, notifier, artifacts } = setUp();
    const trigger = makeArtifactTrigger({ lambda, artifacts, notifier, clock: fixedClock(), config: CONFIG, starter: new SfnWorkflow(new SFNClient({}), SM) });
    const event = objectCreated('releases/orders-api/live/42.zip');

    const first = await trigger(event);
    const second = await trigger(event);

    expect(sfnMock).toHaveReceivedCommandTimes(StartExecutionCommand, 2);
    const [a, b] = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(a?.name).toBe(b?.name);
    expect(a?.input).toBe(b?.input);
    expect(first).toMatchObject({ started: true, alreadyStarted: false });
    expect(second).toMatchObject({ started: true, alreadyStarted: true });
    expect(notifier.published).toEqual([]);
  });
});

describe('artifact trigger: objects that start nothing are notified with the reason', () => {
  it.each([
    ['a function not on the allow-list', objectCreated('releases/inventory/live/1.zip'), 'function inventory is not in the allowed functions (orders-*, arn:aws:lambda:eu-west-1:123456789012:function:payments)', 'inventory'],
    ['an allowed pattern naming a function that does not exist', objectCreated('releases/orders-ghost/live/1.zip'), 'function orders-ghost does not exist', 'orders-ghost'],
    ['a key that breaks the convention', objectCreated('releases/orders-api/42.zip'), "key 'releases/orders-api/42.zip' breaks the convention <prefix><functionName>/<alias>/<build>.zip: expected functionName/alias/build.zip after the prefix, found 2 parts", undefined],
    ['a file that is not a zip', objectCreated('releases/orders-api/live/README.md'), "the file 'README.md' must end with .zip", undefined],
    ['an object without a version id', objectCreated('releases/orders-api/live/42.zip', null), 'has no version id; the artifacts bucket must be versioned', 'orders-api'],
    ['another bucket', objectCreated('releases/orders-api/live/42.zip', 'v1', 'someone-elses-bucket'), "bucket 'someone-elses-bucket' is not the artifacts bucket 'lambda-rollout-artifacts'", undefined],
  ])('%s', async (_, event, reason, functionName) => {
    const { trigger, starter, notifier } = setUp();

    const result = await trigger(event);

    expect(result).toEqual({ started: false, reason: expect.stringContaining(reason) });
    expect(starter.calls).toEqual([]);
    expect(notifier.published).toHaveLength(1);
    const n = notifier.published[0]!;
    expect(n.type).toBe('refused');
    expect(n.body).toMatchObject({ source: 'artifact', key: event.detail.object.key, reason: (result as { reason: string }).reason });
    expect(n.attributes.functionName).toBe(functionName);
    expect(n.subject).toMatch(/^lambda-rollout .* started nothing: /);
  });

  it("an allow-list ARN of another account, region or partition allows nothing here: its name would take the local function's lock", async () => {
    const { lambda, artifacts, starter, notifier } = setUp();
    const elsewhere = ['arn:aws:lambda:eu-west-1:999999999999:function:payments', 'arn:aws:lambda:us-east-1:123456789012:function:payments', 'arn:aws-cn:lambda:eu-west-1:123456789012:function:payments'];
    const trigger = makeArtifactTrigger({ lambda, artifacts, starter, notifier, clock: fixedClock(), config: { ...CONFIG, allowedFunctions: elsewhere } });
    const result = await trigger(objectCreated('releases/payments/live/42.zip'));
    expect(result).toEqual({ started: false, reason: expect.stringContaining('function payments is not in the allowed functions') });
    expect(starter.calls).toEqual([]);
  });

  it('a bad strategy in the tags', async () => {
    const { trigger, starter, notifier } = setUp(new FakeArtifacts({ 'rollout-strategy': 'Canary99Percent' }));
    const result = await trigger(objectCreated('releases/orders-api/live/42.zip'));
    expect(result).toEqual({ started: false, reason: expect.stringContaining('rollout-strategy is not a strategy: "Canary99Percent" is not a preset') });
    expect(starter.calls).toEqual([]);
    expect(notifier.published.map((n) => n.type)).toEqual(['refused']);
  });

  it('an object version deleted before it could be read', async () => {
    const { trigger, starter, notifier } = setUp(new FakeArtifacts({}, {}, true));
    expect(await trigger(objectCreated('releases/orders-api/live/42.zip'))).toEqual({ started: false, reason: 'object releases/orders-api/live/42.zip version v-42 no longer exists' });
    expect(starter.calls).toEqual([]);
    expect(notifier.published).toHaveLength(1);
  });
});

describe('artifact trigger: failures that should be retried are thrown', () => {
  it('throws a throttled Lambda read, starting and notifying nothing', async () => {
    const { trigger, lambda, starter, notifier } = setUp();
    lambda.injectFault('getVersion', 'throttle');
    await expect(trigger(objectCreated('releases/orders-api/live/42.zip'))).rejects.toBeInstanceOf(ThrottledError);
    expect(starter.calls).toEqual([]);
    expect(notifier.published).toEqual([]);
  });

  it('refuses an event that is not an S3 Object Created event', async () => {
    const { trigger } = setUp();
    await expect(trigger({ ...objectCreated('k'), 'detail-type': 'Object Deleted' } as never)).rejects.toMatchObject({
      name: ErrorName.InvalidInput,
      message: expect.stringContaining('detail-type: must be "Object Created"'),
    });
  });
});

describe('triggerConfigFromEnv', () => {
  const env = {
    [ENV.stateMachineArn]: SM,
    [ENV.artifactsBucket]: BUCKET,
    [ENV.artifactsPrefix]: 'releases/',
    [ENV.allowedFunctions]: 'orders-*,payments',
  };

  it('reads the settings', () => {
    expect(triggerConfigFromEnv(env)).toEqual({ stateMachineArn: SM, home: HOME, bucket: BUCKET, prefix: 'releases/', allowedFunctions: ['orders-*', 'payments'] });
  });

  it.each([ENV.stateMachineArn, ENV.artifactsBucket, ENV.allowedFunctions])('names a missing %s', (name) => {
    expect(() => triggerConfigFromEnv({ ...env, [name]: undefined })).toThrow(`${name} is not set`);
  });

  it('refuses a bad prefix', () => {
    expect(() => triggerConfigFromEnv({ ...env, [ENV.artifactsPrefix]: 'releases' })).toThrow(/ROLLOUT_ARTIFACTS_PREFIX: the artifact key prefix must be empty or/);
  });
});
