import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { clientFromEnvironment } from '@berth/sdk/node';

/** Opens a URL in the desktop's browser, if there is one; never fails the command. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.on('error', () => process.stderr.write(`Could not open a browser (${command}); open the link above yourself.\n`));
    child.unref();
  } catch {
    process.stderr.write('Could not open a browser; open the link above yourself.\n');
  }
}

export function studioCommand(): Command {
  return new Command('studio')
    .description(
      "Sign in to Berth's Studio (Compute > Inference clusters in the browser): prints a sign-in link holding a one-time code, valid 5 minutes, for your token or the one given.",
    )
    .option('--token <token>', "sign the Studio in with this token (e.g. a Reader's) instead of the home folder's")
    .option('--open', "open the link in this desktop's browser")
    .option('--home <dir>', "Berth's home folder (endpoint, ca.pem, token); env BERTH_HOME")
    .addHelpText(
      'after',
      `
The link opens a session whose roles are the token's: a Reader's sees everything and changes nothing.
The code in the link works once; the session lives in an HttpOnly cookie and ends with "Sign out".

Examples:
  berth studio --open
  berth studio --token "$(berth token create --role Reader --name audit --query token -o tsv)"`,
    )
    .action(async (o: { token?: string; open?: boolean; home?: string }) => {
      const client = clientFromEnvironment({ home: o.home, ...(o.token ? { token: o.token } : {}) });
      const res = await client.rest.request<{ url: string; expiresAt: string }>('POST', '/berth/studio/codes', { body: {} });
      process.stdout.write(`${res.body.url}\n`);
      process.stderr.write(`Open this link to sign in to Berth Studio; it works once, until ${new Date(res.body.expiresAt).toLocaleString()}.\n`);
      if (o.open) openInBrowser(res.body.url);
    });
}
