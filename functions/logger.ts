/** The structured logger every function shares (Powertools, JSON lines in CloudWatch Logs). */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'lambda-rollout' });
