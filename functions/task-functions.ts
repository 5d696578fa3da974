/**
 * The task functions of the workflow, keyed by the `${...}` placeholder that stands for each
 * function's ARN in `statemachine/rollout.asl.json`. CDK builds one Lambda function per entry and
 * passes these keys as definition substitutions; the local runner binds the same keys to the same
 * handlers in process. Plain data: safe to import from infra code.
 */
export const TASK_FUNCTIONS = {
  PrepareFunctionArn: {
    id: 'Prepare',
    entry: 'functions/handlers/prepare.ts',
    description: 'lambda-rollout: check a rollout input and the function, resolve the baseline, plan the steps',
  },
  ShiftWeightFunctionArn: {
    id: 'ShiftWeight',
    entry: 'functions/handlers/shift-weight.ts',
    description: "lambda-rollout: route a step's weight to the target version (UpdateAlias with RevisionId)",
  },
  CheckHealthFunctionArn: {
    id: 'CheckHealth',
    entry: 'functions/handlers/check-health.ts',
    description: 'lambda-rollout: judge the target against the baseline from CloudWatch metrics',
  },
  FinalizeFunctionArn: {
    id: 'Finalize',
    entry: 'functions/handlers/finalize.ts',
    description: 'lambda-rollout: promote the target to 100% of the alias',
  },
  RollbackFunctionArn: {
    id: 'Rollback',
    entry: 'functions/handlers/rollback.ts',
    description: 'lambda-rollout: put the alias wholly back on the baseline, or report drift',
  },
  NotifyFunctionArn: {
    id: 'Notify',
    entry: 'functions/handlers/notify.ts',
    description: 'lambda-rollout: publish rollout events to SNS, EventBridge and the registry',
  },
  AcquireLockFunctionArn: {
    id: 'AcquireLock',
    entry: 'functions/handlers/acquire-lock.ts',
    description: 'lambda-rollout: take the alias lock in the rollout registry (one rollout per alias)',
  },
  ReleaseLockFunctionArn: {
    id: 'ReleaseLock',
    entry: 'functions/handlers/release-lock.ts',
    description: "lambda-rollout: record the rollout's outcome and release the alias lock",
  },
  ReleaseFunctionArn: {
    id: 'Release',
    entry: 'functions/handlers/release.ts',
    description: 'lambda-rollout: update function code from an artifact and publish it as a version',
  },
} as const;

export type TaskFunctionKey = keyof typeof TASK_FUNCTIONS;

/**
 * What each task function may touch; infra grants exactly this.
 * - lambdaRead: GetAlias, GetFunctionConfiguration on the allowed functions
 * - lambdaWrite: UpdateAlias on the allowed functions
 * - metrics: CloudWatch GetMetricData (and DescribeAlarms)
 * - invoke: lambda:InvokeFunction on the allowed functions (synthetic probes of the target version)
 * - publish: sns:Publish on the rollout topic
 * - registry: read/write the rollout registry table
 * - events: events:PutEvents on the default bus
 * - release: UpdateFunctionCode, PublishVersion, GetFunctionConfiguration on the allowed functions and
 *   s3:GetObject/GetObjectVersion on the artifacts bucket
 */
export const TASK_PERMISSIONS = {
  PrepareFunctionArn: { lambdaRead: true, lambdaWrite: false, metrics: false, invoke: false, publish: false, registry: false, events: false, release: false },
  ShiftWeightFunctionArn: { lambdaRead: true, lambdaWrite: true, metrics: false, invoke: false, publish: false, registry: false, events: false, release: false },
  CheckHealthFunctionArn: { lambdaRead: false, lambdaWrite: false, metrics: true, invoke: true, publish: false, registry: false, events: false, release: false },
  FinalizeFunctionArn: { lambdaRead: true, lambdaWrite: true, metrics: false, invoke: false, publish: false, registry: false, events: false, release: false },
  RollbackFunctionArn: { lambdaRead: true, lambdaWrite: true, metrics: false, invoke: false, publish: false, registry: false, events: false, release: false },
  NotifyFunctionArn: { lambdaRead: false, lambdaWrite: false, metrics: false, invoke: false, publish: true, registry: true, events: true, release: false },
  AcquireLockFunctionArn: { lambdaRead: false, lambdaWrite: false, metrics: false, invoke: false, publish: false, registry: true, events: false, release: false },
  ReleaseLockFunctionArn: { lambdaRead: false, lambdaWrite: false, metrics: false, invoke: false, publish: false, registry: true, events: false, release: false },
  ReleaseFunctionArn: { lambdaRead: false, lambdaWrite: false, metrics: false, invoke: false, publish: false, registry: true, events: false, release: true },
} as const satisfies Record<TaskFunctionKey, Record<string, boolean>>;

/** Environment variable holding the SNS topic ARN for the Notify function. */
export const TOPIC_ARN_ENV = 'ROLLOUT_TOPIC_ARN';
