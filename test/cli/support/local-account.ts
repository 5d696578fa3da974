/** The account the local rollout service stands for: the only credentials it accepts, its region and its stack. */
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDLOCALROLLOUT', secretAccessKey: 'local-rollout-test-secret' } as const;
export const TEST_REGION = 'us-east-1';
export const TEST_STACK = 'LambdaRollout';
/** The caller every signed request is taken to come from. */
export const CALLER_ARN = 'arn:aws:iam::123456789012:user/ci-release';
