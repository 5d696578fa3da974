/**
 * The rollout dashboard: rollouts started, promoted and stopped from Step Functions' own AWS/States
 * metrics for this state machine (always there, nothing to emit), and the allowed functions' errors and
 * invocations split by the version that served them (AWS/Lambda by ExecutedVersion, a SEARCH expression,
 * so new versions appear on their own).
 */
import { Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface RolloutDashboardProps {
  readonly stateMachine: sfn.StateMachine;
  /** The construct's allowedFunctions. */
  readonly allowedFunctions: readonly string[];
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

/** `SEARCH(...)` for one AWS/Lambda metric of the allowed functions, by function, alias/version and executed version. */
export function versionSearch(metricName: 'Errors' | 'Invocations', entries: readonly string[]): string {
  return `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="${metricName}" ${functionSearchTerms(entries)}', 'Sum', 60)`;
}

export class RolloutDashboard extends Construct {
  public readonly dashboard: cw.Dashboard;
  /** The dashboard in the CloudWatch console. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: RolloutDashboardProps) {
    super(scope, id);
    const sm = props.stateMachine;
    const hourly = { period: Duration.hours(1), statistic: cw.Stats.SUM };
    const rollouts = new cw.GraphWidget({
      title: 'Rollouts (AWS/States, this state machine)',
      width: 12,
      height: 6,
      stacked: false,
      left: [
        sm.metricStarted({ ...hourly, label: 'started' }),
        sm.metricSucceeded({ ...hourly, label: 'promoted (succeeded)' }),
        sm.metricFailed({ ...hourly, label: 'rolled back, refused or failed' }),
        sm.metricAborted({ ...hourly, label: 'aborted' }),
        sm.metricTimedOut({ ...hourly, label: 'timed out' }),
      ],
    });
    const totals = new cw.SingleValueWidget({
      title: 'Rollouts, last 7 days',
      width: 12,
      height: 6,
      period: Duration.days(7),
      metrics: [
        sm.metricStarted({ statistic: cw.Stats.SUM, period: Duration.days(7), label: 'started' }),
        sm.metricSucceeded({ statistic: cw.Stats.SUM, period: Duration.days(7), label: 'promoted' }),
        sm.metricFailed({ statistic: cw.Stats.SUM, period: Duration.days(7), label: 'rolled back / failed' }),
        sm.metricAborted({ statistic: cw.Stats.SUM, period: Duration.days(7), label: 'aborted' }),
      ],
    });
    const byVersion = (metricName: 'Errors' | 'Invocations') =>
      new cw.GraphWidget({
        title: `${metricName} by executed version (allowed functions)`,
        width: 12,
        height: 6,
        left: [new cw.MathExpression({ expression: versionSearch(metricName, props.allowedFunctions), label: '', period: Duration.minutes(1), usingMetrics: {} })],
      });
    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [[rollouts, totals], [byVersion('Errors'), byVersion('Invocations')]],
    });
    const region = Stack.of(this).region;
    this.url = `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }
}
