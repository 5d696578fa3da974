/**
 * The service's alarms, each notifying the rollout topic when it goes into ALARM: a rollout whose
 * rollback failed (its alias may be left split), the guard failing (its errors; the dead-letter
 * queues of the EventBridge targets, through {@link RolloutAlarms.watchDeadLetterQueue}), and the
 * API answering with server errors. The README's "Watching rollouts" says what to do for each.
 */
import { ArnFormat, Duration, Names, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, SERVICE_METRICS } from '../functions/core/service-metrics.js';

/**
 * A metric the service emits (`functions/core/service-metrics.ts`), service-wide: the series with
 * the `service` dimension alone, which every point is also published under.
 */
export function serviceMetric(metricName: string, options: cw.MetricOptions = {}): cw.Metric {
  return new cw.Metric({
    namespace: SERVICE_METRICS.namespace,
    metricName,
    dimensionsMap: { [SERVICE_METRICS.serviceDimension]: SERVICE_METRICS.service },
    ...options,
  });
}

/** How a dead-letter queue's alarm is named and described. */
export interface DeadLetterQueueAlarmProps {
  /** The alarm's name. @default - a name CloudFormation generates */
  readonly alarmName?: string;
  /** Whose failed deliveries land in the queue, e.g. `the guard`: it goes into the alarm's description. */
  readonly deliveriesTo: string;
}

/**
 * An alarm on a dead-letter queue holding anything: ApproximateNumberOfMessagesVisible above 0
 * (its maximum over 5 minutes at least 1). An empty queue that publishes no datapoint is not an alarm.
 *
 * @example deadLetterQueueAlarm(this, 'GuardDlq', guardDlq, { deliveriesTo: 'the guard' })
 */
export function deadLetterQueueAlarm(scope: Construct, id: string, queue: sqs.IQueue, props: DeadLetterQueueAlarmProps): cw.Alarm {
  return new cw.Alarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription:
      `lambda-rollout: events EventBridge could not deliver to ${props.deliveriesTo} wait in its dead-letter queue. ` +
      'Read them, act on each (see the README, "Watching rollouts"), then purge the queue.',
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cw.Stats.MAXIMUM }),
    threshold: 1,
    comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cw.TreatMissingData.NOT_BREACHING,
  });
}

/** Properties of {@link RolloutAlarms}. */
export interface RolloutAlarmsProps {
  /** The rollout topic: every alarm notifies it. */
  readonly topic: sns.ITopic;
  /** The key the topic is encrypted with; CloudWatch may use it for this stack's alarms only. */
  readonly topicKey: kms.IKey;
  /** The guard function. */
  readonly guard: IFunction;
  /** The rollout API's stage. */
  readonly apiStage: apigw.Stage;
}

/** The service's alarms, wired to the rollout topic. */
export class RolloutAlarms extends Construct {
  /** A rollout ended in RollbackFailed: its alias may be split between two versions. */
  public readonly rollbackFailed: cw.Alarm;
  /** The guard threw: an execution that stopped may have left its alias split or its lock held. */
  public readonly guardErrors: cw.Alarm;
  /** The rollout API answered with a server error (5XX). */
  public readonly apiServerErrors: cw.Alarm;

  private readonly topic: sns.ITopic;
  private readonly namePrefix: string;
  private readonly alarms: cw.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RolloutAlarmsProps) {
    super(scope, id);
    this.topic = props.topic;
    // Named, so that CloudWatch's use of the topic and its key can be limited to these alarms.
    this.namePrefix = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });
    this.allowCloudWatchToNotify(props.topic, props.topicKey);
    const everyMinute = { period: Duration.minutes(1), statistic: cw.Stats.SUM };
    const everyFiveMinutes = { period: Duration.minutes(5), statistic: cw.Stats.SUM };

    this.rollbackFailed = this.add('RollbackFailed', {
      alarmDescription:
        'lambda-rollout: a rollout ended in RollbackFailed, so its alias may still route to two versions. The guard tries to put it back on the baseline; ' +
        'check the alias (rollout status <id>) and the guard\'s logs.',
      metric: serviceMetric(METRIC.rollbackFailed, everyMinute),
    });
    this.guardErrors = this.add('GuardErrors', {
      alarmDescription:
        'lambda-rollout: the guard failed; a rollout that stopped may have left its alias split or its lock held. EventBridge retries it, then sends the event to its dead-letter queue.',
      metric: props.guard.metricErrors(everyFiveMinutes),
    });
    this.apiServerErrors = this.add('ApiServerErrors', {
      alarmDescription: 'lambda-rollout: the rollout API answered with server errors (5XX); its function\'s logs name each request id.',
      metric: props.apiStage.metricServerError(everyFiveMinutes),
    });
  }

  /**
   * Every alarm of the service, including dead-letter queues watched later: the array is live, so a
   * dashboard that reads it when the template is synthesized shows them all.
   */
  get all(): readonly cw.IAlarm[] {
    return this.alarms;
  }

  /** Alarms (to the rollout topic) when `queue`, the dead-letter queue of an EventBridge target, holds anything. */
  public watchDeadLetterQueue(id: string, queue: sqs.IQueue, deliveriesTo: string): cw.Alarm {
    const alarm = deadLetterQueueAlarm(this, id, queue, { alarmName: `${this.namePrefix}-${id}`, deliveriesTo });
    return this.notify(alarm);
  }

  /** A named alarm, at or above 1 in one period, quiet when there is no data, notifying the topic. */
  private add(id: string, props: Pick<cw.AlarmProps, 'alarmDescription' | 'metric'>): cw.Alarm {
    const alarm = new cw.Alarm(this, id, {
      ...props,
      alarmName: `${this.namePrefix}-${id}`,
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cw.TreatMissingData.NOT_BREACHING,
    });
    return this.notify(alarm);
  }

  private notify(alarm: cw.Alarm): cw.Alarm {
    alarm.addAlarmAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * CloudWatch publishes alarm notifications as its service principal: the topic's policy must let
   * it publish and, the topic being encrypted with a customer-managed key, the key's policy must let
   * it use the key. Both only for this account's alarms of this construct.
   */
  private allowCloudWatchToNotify(topic: sns.ITopic, key: kms.IKey): void {
    const stack = Stack.of(this);
    const conditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: `${this.namePrefix}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
    };
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    topic.addToResourcePolicy(new iam.PolicyStatement({ principals: [cloudWatch], actions: ['sns:Publish'], resources: [topic.topicArn], conditions }));
    key.addToResourcePolicy(new iam.PolicyStatement({ principals: [cloudWatch], actions: ['kms:Decrypt', 'kms:GenerateDataKey*'], resources: ['*'], conditions }));
  }
}
