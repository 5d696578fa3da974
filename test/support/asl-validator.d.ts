declare module 'asl-validator' {
  /** Validates an Amazon States Language definition (JSONPath). */
  export default function validate(definition: unknown): { isValid: boolean; errors: unknown[] };
}
