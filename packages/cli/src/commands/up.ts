import { Command, Option } from 'commander';
import { berthHome } from '@berth/sdk/node';
import { createBerth, defaultMaxRunningPods } from '@berth/server';
import { parseHttpsOrigin, parseInteger } from '../options.js';
import { readStoreFile, STORE_ENV, storeOption } from './up-store.js';

export function upCommand(): Command {
  return new Command('up')
    .description('Start Berth: the ARM-compatible API over HTTPS, with its store and operations engine.')
    .option('--home <dir>', 'Berth home folder (CA, token, SQLite store); env BERTH_HOME', undefined)
    .option('--port <n>', 'HTTPS port (0 picks a free one)', parseInteger('--port', 0, 65535), 7443)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(
      new Option(
        '--store <url>',
        `store: a SQLite file path (default <home>/berth.db) or a postgres://... URL; env ${STORE_ENV}. A password here shows in the process list: give such a URL in ${STORE_ENV} or --store-file`,
      ).conflicts('storeFile'),
    )
    .addOption(new Option('--store-file <path>', 'a file holding the store URL (keep it private: chmod 600)').argParser(readStoreFile))
    .option('--provisioning-delay-ms <n>', 'how long the local cloud takes to provision resources', parseInteger('--provisioning-delay-ms', 0, 3_600_000), 3000)
    .addOption(
      new Option('--log-level <level>', 'log level of the JSON logs on stderr').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('warn'),
    )
    .option(
      '--public-url <url>',
      'the https:// address clients reach Berth at (behind a proxy or a DNS name); links and kubeconfigs use it (default: from --host and --port)',
      parseHttpsOrigin('--public-url'),
    )
    .option(
      '--request-timeout-ms <n>',
      "a request's headers and body must arrive within this time; slower senders are cut",
      parseInteger('--request-timeout-ms', 1000, 600_000),
      30_000,
    )
    .option(
      '--max-connections-per-address <n>',
      'open connections one client address may hold; more are closed at once (127.0.0.1 and ::1, where Berth calls itself from, are not capped)',
      parseInteger('--max-connections-per-address', 1, 100_000),
      512,
    )
    .option(
      '--failed-sign-ins-per-client <n>',
      'failed sign-ins (wrong client secret) one client id may make per minute at the token endpoints; past them it gets 429 with Retry-After',
      parseInteger('--failed-sign-ins-per-client', 1, 100_000),
      10,
    )
    .option(
      '--failed-sign-ins-per-address <n>',
      'failed sign-ins one client address (an IPv6 /64) may make per minute at the token endpoints and the Studio sign-in (raise it behind a proxy: every client then shares its address)',
      parseInteger('--failed-sign-ins-per-address', 1, 100_000),
      60,
    )
    .option(
      '--container-service-endpoint <url>',
      "ContainerService API for the clusters Berth creates and attaches (default: the local cloud at this URL); Berth signs in to it with @azure/identity's DefaultAzureCredential (AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID, a managed identity or az login; AZURE_AUTHORITY_HOST for a self-hosted cloud)",
    )
    .addOption(
      new Option(
        '--container-service-auth <how>',
        'how Berth signs in to --container-service-endpoint: azure (DefaultAzureCredential), or local (its own admin token and CA: its own local cloud behind a proxy)',
      )
        .choices(['azure', 'local'])
        .default('azure'),
    )
    .option('--control-plane-address <ip...>', "addresses clusters see Berth's calls come from; authorized IP ranges must admit one", ['127.0.0.1'])
    .option(
      '--front-end-image <image>',
      "image that runs the inference front end's router (shipped in a ConfigMap, started with node): a public Node.js image",
      'node:20-alpine',
    )
    .addOption(
      new Option(
        '--run-workloads [how]',
        "run pods of Node.js images (node:*) for real: 'sandboxed' (the default; needs bubblewrap, else pods are simulated and say why) or 'unsandboxed' (pods run as your user and can read this home folder: only for code you trust)",
      )
        .choices(['sandboxed', 'unsandboxed'])
        .preset('sandboxed')
        .default('sandboxed'),
    )
    .option(
      '--no-run-workloads',
      'simulate every pod of the local cloud instead of running any: nothing users deploy runs, and scoring endpoints do not answer',
    )
    .addOption(
      new Option(
        '--max-running-pods <n>',
        'pods that run for real at once; more wait, Pending, until one stops (default: what half the memory holds at 256 MiB a pod)',
      )
        .argParser(parseInteger('--max-running-pods', 1, 10_000))
        .default(defaultMaxRunningPods()),
    )
    .option('--cloudapp-zone <zone>', 'DNS zone of generated TLS host names (<label>######.<region>.cloudapp.<zone>)', 'azure.com')
    .addOption(
      new Option('--resync-interval-ms <n>', 'how often installed components are re-applied even without a watch event')
        .argParser(parseInteger('--resync-interval-ms', 1000, 86_400_000))
        .default(30_000),
    )
    .addOption(
      new Option('--lease-ms <n>', 'how long an operation stays claimed by a process that stops renewing it')
        .argParser(parseInteger('--lease-ms', 500, 600_000))
        .default(5000)
        .hideHelp(),
    )
    .addHelpText(
      'after',
      `
Examples:
  berth up                                   # ~/.berth, SQLite, https://127.0.0.1:7443
  berth up --home /tmp/b --port 0            # a throw-away instance on a free port
  BERTH_STORE=postgres://berth:pw@db/berth berth up   # several processes can share one PostgreSQL
  berth up --store-file /etc/berth/store-url      # the same URL, from a file only you can read

Clients trust <home>/ca.pem and send 'Authorization: Bearer <token>' with the token in <home>/token.

Workloads: the local cloud runs pods whose image is a Node.js image (node:*) and whose command starts
with 'node' for real, each in a bubblewrap sandbox (install Debian's 'bubblewrap'): its own user (where
berth up runs as root), mount, PID and network namespaces, nothing of this machine's files but node and
its libraries, its volumes and token from <home>/workloads (private), its memory limit (a cgroup, where
berth up runs as root; 1 GiB when none is set) and its own loopback address (127.128.0.0/9) as its only
one. Where no sandbox can be made, pods are simulated and the log says why. --run-workloads=unsandboxed
runs them as plain child processes of this command, as your user; --no-run-workloads simulates every pod
(so do all but one of several berth up sharing a PostgreSQL store: each would run every pod). Each LoadBalancer Service port is
also served on a loopback port, listed in the Service's berth.dev/local-endpoints annotation and in
'berth ml computetarget show' (localEndpoints).`,
    )
    .action(
      async (opts: {
        home?: string;
        port: number;
        host: string;
        store?: string;
        storeFile?: string;
        provisioningDelayMs: number;
        logLevel: string;
        leaseMs: number;
        containerServiceEndpoint?: string;
        containerServiceAuth: 'azure' | 'local';
        publicUrl?: string;
        requestTimeoutMs: number;
        maxConnectionsPerAddress: number;
        failedSignInsPerClient: number;
        failedSignInsPerAddress: number;
        controlPlaneAddress: string[];
        frontEndImage: string;
        cloudappZone: string;
        resyncIntervalMs: number;
        runWorkloads: boolean | 'sandboxed' | 'unsandboxed';
        maxRunningPods: number;
      }) => {
        const { store, warning } = storeOption(opts, process.env);
        if (warning) process.stderr.write(`WARNING: ${warning}\n`);
        const server = await createBerth({
          home: berthHome(opts.home),
          host: opts.host,
          port: opts.port,
          store,
          provisioningDelayMs: opts.provisioningDelayMs,
          logLevel: opts.logLevel,
          leaseMs: opts.leaseMs,
          containerServiceEndpoint: opts.containerServiceEndpoint,
          containerServiceAuth: opts.containerServiceAuth,
          controlPlaneAddresses: opts.controlPlaneAddress,
          frontEndImage: opts.frontEndImage,
          cloudappZone: opts.cloudappZone,
          resyncIntervalMs: opts.resyncIntervalMs,
          publicUrl: opts.publicUrl,
          runWorkloads: opts.runWorkloads,
          maxRunningPods: opts.maxRunningPods,
          limits: {
            requestTimeoutMs: opts.requestTimeoutMs,
            maxConnectionsPerAddress: opts.maxConnectionsPerAddress,
            failedSignInsPerClient: opts.failedSignInsPerClient,
            failedSignInsPerAddress: opts.failedSignInsPerAddress,
          },
        });
        process.stdout.write(`Berth is ready at ${server.url}\n`);
        await new Promise<void>((resolvePromise) => {
          const stop = (signal: string) => {
            process.stderr.write(`Received ${signal}; finishing requests in flight, then stopping.\n`);
            server.close().then(resolvePromise, (err: Error) => {
              process.stderr.write(`Stopping failed: ${err.message}\n`);
              resolvePromise();
            });
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );
}
