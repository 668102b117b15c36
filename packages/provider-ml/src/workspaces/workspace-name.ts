import { ArmError } from '@berth/arm';

const WORKSPACE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$/;

/** ARM's rule for workspace names: 3–33 characters, letters, digits, hyphens and underscores, starting with a letter or digit. */
export function checkWorkspaceName(name: string): void {
  if (WORKSPACE_NAME.test(name)) return;
  const why =
    name.length < 3 || name.length > 33
      ? `it has ${name.length} characters`
      : !/^[a-zA-Z0-9]/.test(name)
        ? 'it does not start with a letter or digit'
        : 'it contains a character other than letters, digits, hyphens and underscores';
  throw new ArmError(
    400,
    'InvalidResourceName',
    `The workspace name '${name}' is invalid: ${why}. Workspace names have 3 to 33 characters, letters, digits, hyphens and underscores, and start with a letter or digit.`,
    { target: 'workspaceName' },
  );
}
