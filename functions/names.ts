/**
 * Deployment names, in one place: the environment variables the infrastructure sets and the
 * handlers read, the workflow's definition substitutions (one task function each), the workflow
 * file, and the registry table's keys. Shared by `infra/`, `functions/handlers/` and the rehearsal;
 * plain data, importing nothing of the project.
 */
import { fileURLToPath } from 'node:url';

/** Environment variables of the service's functions. */
export const ENV = {
  /** The SNS topic rollout notifications go to (Notify, the guard, the artifact trigger). */
  topicArn: 'ROLLOUT_TOPIC_ARN',
  /** The rollout registry's DynamoDB table (locks, records, idempotency keys). */
  tableName: 'ROLLOUT_TABLE_NAME',
  /** The rollout state machine (the API, the guard, the artifact trigger start or read its executions). */
  stateMachineArn: 'ROLLOUT_STATE_MACHINE_ARN',
  /** The artifacts bucket; events for any other bucket start nothing. */
  artifactsBucket: 'ROLLOUT_ARTIFACTS_BUCKET',
  /** The artifact key prefix (may be empty). */
  artifactsPrefix: 'ROLLOUT_ARTIFACTS_PREFIX',
  /** The construct's allowedFunctions, comma-separated. */
  allowedFunctions: 'ROLLOUT_ALLOWED_FUNCTIONS',
  /** How long CloudFormation may wait for one Custom::LambdaRollout request, in seconds (the provider's limit, less a margin). */
  deployWaitSeconds: 'ROLLOUT_DEPLOY_WAIT_SECONDS',
  /** The construct's allowedHooks (names, name patterns or ARNs), comma-separated. */
  allowedHooks: 'ROLLOUT_ALLOWED_HOOKS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/**
 * The task functions of the workflow, keyed by the `${...}` placeholder that stands for each
 * function's ARN in the workflow definition. CDK builds one Lambda function per entry and passes
 * these keys as definition substitutions; the rehearsal binds the same keys to the same task
 * factories in process.
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
  ContinueFunctionArn: {
    id: 'Continue',
    entry: 'functions/handlers/continue.ts',
    description: 'lambda-rollout: continue a long rollout in a new execution before the history fills, and resume it there',
  },
  RunHookFunctionArn: {
    id: 'RunHook',
    entry: 'functions/handlers/run-hook.ts',
    description: "lambda-rollout: invoke a lifecycle hook and pass its answer to the workflow's task token",
  },
  AwaitControlFunctionArn: {
    id: 'AwaitControl',
    entry: 'functions/handlers/await-control.ts',
    description: 'lambda-rollout: store the task token of a wait for a person (gate, pause) so the API can wake it',
  },
  ConcurrencyFunctionArn: {
    id: 'Concurrency',
    entry: 'functions/handlers/concurrency.ts',
    description: 'lambda-rollout: provision concurrency on the target version, follow it to READY, remove it at the end',
  },
} as const;

export type TaskFunctionKey = keyof typeof TASK_FUNCTIONS;

/**
 * The stack's outputs, by stable key: the `rollout` CLI finds the service by these keys
 * (DescribeStacks), and CI scripts read them with `aws cloudformation describe-stacks`. Infra emits
 * each as a `CfnOutput` whose logical id is exactly this key (no CDK hash, no export name).
 */
export const STACK_OUTPUTS = {
  /** The rollout API's stage URL, ending in `/`. */
  apiUrl: 'RolloutApiUrl',
  /** The rollout state machine. */
  stateMachineArn: 'RolloutStateMachineArn',
  /** Where to upload artifacts. */
  artifactsBucketName: 'RolloutArtifactsBucketName',
  /** The notification topic. */
  topicArn: 'RolloutTopicArn',
  /** The registry table. */
  registryTableName: 'RolloutRegistryTableName',
  /** The state machine in the Step Functions console. */
  consoleUrl: 'RolloutConsoleUrl',
  /** The CloudWatch dashboard. */
  dashboardUrl: 'RolloutDashboardUrl',
  /** The ready-made smoke-test hook's function name, for `hooks.preTraffic` or `hooks.postTraffic`. */
  smokeTestHookName: 'RolloutSmokeTestHookName',
  /** The service token of Custom::LambdaRollout (also exported, for other stacks and templates). */
  serviceToken: 'RolloutServiceToken',
} as const;

export type StackOutputKey = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];

/** The stack name the app deploys (`infra/app.ts`), and the CLI's default `--stack`. */
export const DEFAULT_STACK_NAME = 'LambdaRollout';

/** The workflow definition: the one file CDK deploys and the rehearsal runs. */
export const ASL_PATH = fileURLToPath(new URL('../statemachine/rollout.asl.json', import.meta.url));

/**
 * The rollout registry table: string partition and sort keys, the TTL attribute (epoch seconds),
 * and the global secondary indexes the registry adapter queries (projection ALL).
 */
export const REGISTRY_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  indexes: {
    byFunction: { partitionKey: 'gsi1pk', sortKey: 'startedKey' },
    byStatus: { partitionKey: 'gsi2pk', sortKey: 'startedKey' },
    byExecution: { partitionKey: 'gsi3pk' },
    byStartTime: { partitionKey: 'gsi4pk', sortKey: 'startedKey' },
  },
} as const;

export type RegistryIndexName = keyof typeof REGISTRY_TABLE.indexes;
