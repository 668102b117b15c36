import type { ArmErrorDetail } from '@berth/arm';

const COMPUTE_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

/** R1: 3 to 24 letters, digits and hyphens, starting with a letter and ending with a letter or digit. */
export function computeNameProblem(name: string): ArmErrorDetail | undefined {
  if (COMPUTE_NAME.test(name)) return undefined;
  const why =
    name.length < 3 || name.length > 24
      ? `it has ${name.length} characters`
      : !/^[a-zA-Z]/.test(name)
        ? 'it does not start with a letter'
        : !/[a-zA-Z0-9]$/.test(name)
          ? 'it does not end with a letter or digit'
          : 'it contains a character other than letters, digits and hyphens';
  return {
    code: 'InvalidComputeName',
    target: 'computeName',
    message: `The compute name '${name}' is invalid: ${why}. Compute names have 3 to 24 characters (letters, digits and hyphens), start with a letter and end with a letter or digit.`,
  };
}
