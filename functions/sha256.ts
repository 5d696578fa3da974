/** SHA-256 of a string's UTF-8 bytes as 64 lower-case hex digits, from Node's crypto. */
import { createHash } from 'node:crypto';

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
