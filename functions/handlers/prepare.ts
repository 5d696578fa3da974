/** Prepare on Lambda: reads the function and its alias (Lambda) and the watched alarms (CloudWatch). */
import { alarmReader, lambdaControl } from '../aws/index.js';
import { systemClock } from '../ports.js';
import { makePrepare } from '../tasks/prepare.js';
import { lambdaHandler } from './middleware.js';

export const handler = lambdaHandler(makePrepare({ lambda: lambdaControl(), alarms: alarmReader(), clock: systemClock }));
