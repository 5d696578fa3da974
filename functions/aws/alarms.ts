/** AlarmReader over the AWS SDK v3 CloudWatch client (DescribeAlarms). */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmReader } from '../ports.js';
import { mapAwsErrors } from './errors.js';

/** DescribeAlarms takes at most 100 names per call. */
export const MAX_ALARM_NAMES = 100;

export class AwsAlarmReader implements AlarmReader {
  constructor(private readonly client: CloudWatchClient) {}

  /** Metric and composite alarms by name; names that do not exist are simply absent. */
  async describeAlarms(names: readonly string[]) {
    const found: { name: string; state: string; reason?: string | undefined }[] = [];
    for (let i = 0; i < names.length; i += MAX_ALARM_NAMES) {
      const chunk = names.slice(i, i + MAX_ALARM_NAMES);
      let nextToken: string | undefined;
      do {
        const out = await mapAwsErrors(`DescribeAlarms ${chunk.join(',')}`, () =>
          this.client.send(new DescribeAlarmsCommand({ AlarmNames: chunk, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken })),
        );
        for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          if (a.AlarmName) found.push({ name: a.AlarmName, state: a.StateValue ?? 'INSUFFICIENT_DATA', reason: a.StateReason });
        }
        nextToken = out.NextToken;
      } while (nextToken);
    }
    return found;
  }
}
