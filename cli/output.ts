/** Where the `rollout` command writes: results on stdout, problems and side notes on stderr. */

/** Writes a line (or lines) to stdout. */
export const out = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** Writes a line (or lines) to stderr. */
export const err = (text: string): void => {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
};

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export const colourOn = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;
