/**
 * The rollouts dashboard, top to bottom: how rollouts end (the service's own metrics, one line per
 * outcome), what is running now and at what weight, how fast bad targets were caught and what they
 * cost; then the allowed functions split by the version that served them (error rate, p99 latency,
 * throttles, invocations: AWS/Lambda by ExecutedVersion, SEARCH expressions, so new versions appear
 * on their own); then the service itself (its functions' errors, the workflow's failed executions
 * against the endings it counted, the API's answers) and its alarms.
 */
import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENDING_METRICS, METRIC, SERVICE_METRICS } from '../functions/core/service-metrics.js';
import { serviceMetric } from './alarms.js';

export interface RolloutDashboardProps {
  readonly stateMachine: sfn.IStateMachine;
  /** The construct's allowedFunctions. */
  readonly allowedFunctions: readonly string[];
  /** The service's own functions (the workflow's tasks, the API, the guard, the artifact trigger), each labelled by its construct id. */
  readonly serviceFunctions: readonly IFunction[];
  /** The rollout API's stage. */
  readonly apiStage: apigw.Stage;
  /** The service's alarms, shown with their states; read when the template is synthesized. */
  readonly alarms: readonly cw.IAlarm[];
}

/**
 * The FunctionName terms of a CloudWatch SEARCH for the allowed functions: an exact match for a name,
 * a partial (token) match on the longest literal piece of a pattern (`orders-*` searches `orders`, which
 * may also show other functions with the token `orders`; SEARCH has no wildcard), the name of an ARN.
 *
 * @example functionSearchTerms(['orders-*', 'payments']) // '(FunctionName=orders OR FunctionName="payments")'
 */
export function functionSearchTerms(entries: readonly string[]): string {
  const terms = entries.map((entry) => {
    if (Token.isUnresolved(entry)) return `FunctionName="${Fn.select(6, Fn.split(':', entry))}"`;
    const name = entry.startsWith('arn:') ? entry.slice(entry.lastIndexOf(':') + 1) : entry;
    if (!name.includes('*')) return `FunctionName="${name}"`;
    const literal = name
      .split(/[^A-Za-z0-9]+/)
      .reduce((longest, piece) => (piece.length > longest.length ? piece : longest), '');
    return literal ? `FunctionName=${literal}` : '';
  });
  return `(${terms.filter(Boolean).join(' OR ')})`;
}

/** The AWS/Lambda metrics the dashboard splits by executed version. */
export type VersionMetric = 'Errors' | 'Invocations' | 'Duration' | 'Throttles';

/**
 * `SEARCH(...)` for one AWS/Lambda metric of the allowed functions, by function, alias/version and
 * executed version, one-minute periods.
 *
 * @example versionSearch('Duration', ['payments'], 'p99') // "SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName=\"Duration\" (FunctionName=\"payments\")', 'p99', 60)"
 */
export function versionSearch(metricName: VersionMetric, entries: readonly string[], statistic = 'Sum'): string {
  return `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="${metricName}" ${functionSearchTerms(entries)}', '${statistic}', 60)`;
}

/** `SEARCH(...)` for one of the service's own metrics, a series per function. */
export function serviceSearch(metricName: string, statistic: string, periodSeconds: number): string {
  const { namespace, serviceDimension, functionDimension } = SERVICE_METRICS;
  return `SEARCH('{${namespace},${serviceDimension},${functionDimension}} MetricName="${metricName}"', '${statistic}', ${periodSeconds})`;
}

/** The outcomes, in the order the dashboard draws them. */
const OUTCOMES = [
  ['promoted', 'promoted'],
  ['rolled_back', 'rolled back'],
  ['drift', 'left to someone else (drift)'],
  ['refused', 'refused'],
  ['aborted', 'aborted'],
  ['timed_out', 'timed out'],
  ['failed', 'failed'],
] as const;

export class RolloutDashboard extends Construct {
  public readonly dashboard: cw.Dashboard;
  /** The dashboard in the CloudWatch console. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: RolloutDashboardProps) {
    super(scope, id);
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [this.outcomes(), this.runningNow(), this.versions(props.allowedFunctions), this.service(props), [this.alarmStates(props.alarms)]],
    });
    const region = Stack.of(this).region;
    this.url = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }

  /** How rollouts ended, one line per outcome: a rollback that worked is not a failure. */
  private outcomes(): cw.IWidget[] {
    const counts = (period: Duration) => [
      serviceMetric(METRIC.started, { period, statistic: cw.Stats.SUM, label: 'started' }),
      ...OUTCOMES.map(([status, label]) => serviceMetric(ENDING_METRICS[status], { period, statistic: cw.Stats.SUM, label })),
    ];
    return [
      new cw.GraphWidget({ title: 'Rollouts by outcome (per hour, all functions)', width: 16, height: 6, left: counts(Duration.hours(1)) }),
      new cw.SingleValueWidget({ title: 'Rollouts, last 7 days', width: 8, height: 6, period: Duration.days(7), metrics: counts(Duration.days(7)) }),
    ];
  }

  /** What runs now and at what weight; how fast bad targets were caught and how many requests they failed. */
  private runningNow(): cw.IWidget[] {
    const hourly = Duration.hours(1);
    return [
      new cw.GraphWidget({
        title: "Running now: the target's weight (%) by function",
        width: 12,
        height: 6,
        leftYAxis: { min: 0, max: 100, showUnits: false },
        left: [new cw.MathExpression({ expression: serviceSearch(METRIC.targetWeightPercent, 'Maximum', 300), label: '', period: Duration.minutes(5), usingMetrics: {} })],
      }),
      new cw.GraphWidget({
        title: 'Rollbacks: seconds from first traffic to the alias whole again, and requests the targets failed',
        width: 12,
        height: 6,
        left: [
          serviceMetric(METRIC.detectionSeconds, { period: hourly, statistic: cw.Stats.MAXIMUM, label: 'detection seconds (max)' }),
          serviceMetric(METRIC.detectionSeconds, { period: hourly, statistic: cw.Stats.percentile(50), label: 'detection seconds (median)' }),
        ],
        right: [serviceMetric(METRIC.failedTargetRequests, { period: hourly, statistic: cw.Stats.SUM, label: 'failed target requests' })],
      }),
    ];
  }

  /** The allowed functions, split by the version that served each request. */
  private versions(allowed: readonly string[]): cw.IWidget[] {
    const search = (title: string, expression: string) =>
      new cw.GraphWidget({ title, width: 6, height: 6, left: [new cw.MathExpression({ expression, label: '', period: Duration.minutes(1), usingMetrics: {} })] });
    return [
      // Lambda sends Errors once per invocation, 1 for an error and 0 otherwise, so its Average is the
      // error rate (metric math cannot divide one SEARCH by another, series by series).
      search('Error rate (%) by executed version', `100 * ${versionSearch('Errors', allowed, 'Average')}`),
      search('p99 latency (ms) by executed version', versionSearch('Duration', allowed, 'p99')),
      search('Throttles by executed version', versionSearch('Throttles', allowed)),
      search('Invocations by executed version', versionSearch('Invocations', allowed)),
    ];
  }

  /** The service itself: its functions' errors, the workflow's failed executions against the endings counted, the API. */
  private service(props: RolloutDashboardProps): cw.IWidget[] {
    const fiveMinutes = { period: Duration.minutes(5), statistic: cw.Stats.SUM };
    const hourly = { period: Duration.hours(1), statistic: cw.Stats.SUM };
    return [
      new cw.GraphWidget({
        title: "The service's own errors (its functions)",
        width: 8,
        height: 6,
        left: props.serviceFunctions.map((fn) => fn.metricErrors({ ...fiveMinutes, label: fn.node.id })),
      }),
      new cw.GraphWidget({
        title: 'Workflow: failed executions, and which were rollbacks',
        width: 8,
        height: 6,
        left: [
          props.stateMachine.metricFailed({ ...hourly, label: 'ExecutionsFailed (every Fail state, rollbacks included)' }),
          serviceMetric(ENDING_METRICS.rolled_back, { ...hourly, label: 'rolled back (the workflow worked)' }),
          serviceMetric(ENDING_METRICS.failed, { ...hourly, label: 'failed' }),
          serviceMetric(METRIC.rollbackFailed, { ...hourly, label: 'rollback failed (alias may be split)' }),
        ],
      }),
      new cw.GraphWidget({
        title: 'Rollout API',
        width: 8,
        height: 6,
        left: [props.apiStage.metricServerError({ ...fiveMinutes, label: '5XX' }), props.apiStage.metricClientError({ ...fiveMinutes, label: '4XX' })],
        right: [props.apiStage.metricCount({ ...fiveMinutes, label: 'requests' })],
      }),
    ];
  }

  private alarmStates(alarms: readonly cw.IAlarm[]): cw.IWidget {
    // The list is read when the template is synthesized: alarms added after this widget appear too.
    return new cw.AlarmStatusWidget({ title: 'Alarms', width: 24, height: 3, alarms: alarms as cw.IAlarm[] });
  }
}
