/**
 * The CDK app: `npx cdk synth -c allowedFunctions='orders-*,payments' [-c allowedHooks='checks-*']
 * [-c notificationEmail=ops@example.com] [-c artifactKeyPrefix=releases/]`.
 *
 * cdk.json deliberately has no default for `allowedFunctions`. The list decides which functions' aliases
 * the rollout may rewrite (lambda:UpdateAlias); any default, even an example like `orders-*`, would make
 * a plain `cdk deploy` grant that in whatever account it lands in. Synth fails instead, saying how to pass it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readAllowedFunctions, readAllowedHooks, readArtifactKeyPrefix, readNotificationEmail } from './context.js';
import { RolloutStack } from './rollout-stack.js';

const app = new App();
new RolloutStack(app, 'LambdaRollout', {
  allowedFunctions: readAllowedFunctions(app.node),
  allowedHooks: readAllowedHooks(app.node),
  notificationEmail: readNotificationEmail(app.node),
  artifactKeyPrefix: readArtifactKeyPrefix(app.node),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
