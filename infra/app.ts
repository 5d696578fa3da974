/**
 * The repository's CDK app: `npx cdk synth -c allowedFunctions='orders-*,payments'` with any other prop
 * of {@link LambdaRolloutProps} as context (`-c allowedHooks='checks-*'`,
 * `-c notificationEmail=ops@example.com`, `-c artifactKeyPrefix=releases/`,
 * `-c apiRateLimitPerSecond=10`, `-c apiBurstLimit=20`,
 * `-c logRetention=365`, `-c removalPolicy=retain`). It builds the handler bundles from the sources
 * when they changed, then synthesizes.
 *
 * cdk.json deliberately has no default for `allowedFunctions`. The list decides which functions' aliases
 * the rollout may rewrite (lambda:UpdateAlias); any default, even an example like `orders-*`, would make
 * a plain `cdk deploy` grant that in whatever account it lands in. Synth fails instead, saying how to
 * pass it: one line, no stack trace, as for any other setting it refuses.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ensureBundles } from '../scripts/build-bundles.js';
import { rolloutPropsFromContext } from './context.js';
import { InvalidPropError } from './errors.js';
import type { LambdaRolloutProps } from './lambda-rollout.js';
import { RolloutStack } from './rollout-stack.js';

const app = new App();
try {
  const props: LambdaRolloutProps = rolloutPropsFromContext(app.node);
  await ensureBundles();
  new RolloutStack(app, 'LambdaRollout', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
} catch (error) {
  if (!(error instanceof InvalidPropError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
