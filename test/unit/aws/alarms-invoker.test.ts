import 'aws-sdk-client-mock-vitest/extend';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsAlarmReader } from '../../../functions/aws/alarms.js';
import { AwsInvoker } from '../../../functions/aws/invoker.js';
import { ErrorName } from '../../../functions/core/errors.js';

const cw = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);
beforeEach(() => {
  cw.reset();
  lambda.reset();
});

describe('AwsAlarmReader', () => {
  it('asks for metric and composite alarms by name and maps their states', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'orders-5xx', StateValue: 'ALARM', StateReason: 'Threshold Crossed' }],
      CompositeAlarms: [{ AlarmName: 'orders-health', StateValue: 'OK' }],
    });
    const found = await new AwsAlarmReader(new CloudWatchClient({})).describeAlarms(['orders-5xx', 'orders-health', 'missing']);
    expect(cw).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ['orders-5xx', 'orders-health', 'missing'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] });
    expect(found).toEqual([
      { name: 'orders-5xx', state: 'ALARM', reason: 'Threshold Crossed' },
      { name: 'orders-health', state: 'OK', reason: undefined },
    ]);
  });

  it('follows NextToken and sends at most 100 names a call', async () => {
    cw.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) =>
      input.NextToken ? { MetricAlarms: [{ AlarmName: `${input.AlarmNames[0]}-page2`, StateValue: 'OK' }] } : { MetricAlarms: [], NextToken: 't' },
    );
    const names = Array.from({ length: 150 }, (_, i) => `a${i}`);
    const found = await new AwsAlarmReader(new CloudWatchClient({})).describeAlarms(names);
    expect(cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames?.length)).toEqual([100, 100, 50, 50]);
    expect(found.map((a) => a.name)).toEqual(['a0-page2', 'a100-page2']);
  });
});

describe('AwsInvoker', () => {
  it('invokes the exact version synchronously with the JSON payload', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"statusCode":200}') as never });
    const answer = await new AwsInvoker(new LambdaClient({})).invoke('orders', '8', { ping: true });
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'orders', Qualifier: '8', InvocationType: 'RequestResponse' });
    expect(new TextDecoder().decode(input.Payload as Uint8Array)).toBe('{"ping":true}');
    expect(answer).toEqual({ statusCode: 200, functionError: undefined, payload: '{"statusCode":200}' });
  });

  it('reports a function error', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: new TextEncoder().encode('{"errorMessage":"boom"}') as never });
    expect(await new AwsInvoker(new LambdaClient({})).invoke('orders', '8', {})).toMatchObject({ functionError: 'Unhandled' });
  });

  it('maps throttling to the retried error', async () => {
    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }));
    await expect(new AwsInvoker(new LambdaClient({})).invoke('orders', '8', {})).rejects.toMatchObject({ name: ErrorName.Throttled });
  });
});
