/** Starts the explorer's HTTP server (loopback by default; a token when bound elsewhere). */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { FapoError } from '../util/errors.ts';
import { createUiApp } from './app.ts';
import { openServed } from './workspaces.ts';

export interface ServeUiOptions {
  dirs: string[];
  /** 0 (default): a free port. */
  port?: number;
  /** Default 127.0.0.1; any other host gets a random access token. */
  host?: string;
}

export interface RunningUi {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export async function serveUi(options: ServeUiOptions): Promise<RunningUi> {
  const { workspaces, studies } = openServed(options.dirs);
  const host = options.host ?? '127.0.0.1';
  const token = LOOPBACK.has(host) ? undefined : randomBytes(16).toString('hex');
  // Filled once the port is known; on loopback, only the server's own names are answered (DNS rebinding).
  const allowedHosts = new Set<string>();
  const app = createUiApp({ workspaces, studies, ...(token ? { token } : { allowedHosts }) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) => {
      for (const w of workspaces) w.store.close();
      reject(
        err.code === 'EADDRINUSE'
          ? new FapoError(
              `fapo ui: port ${options.port} on ${host} is in use (another fapo ui, or another server)`,
              'Pick another port with --port, or leave --port out to get a free one.',
            )
          : err.code === 'EADDRNOTAVAIL'
            ? new FapoError(
                `fapo ui: ${host} is not an address of this machine`,
                'Give --host an address this machine has.',
              )
            : err,
      );
    });
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  for (const name of [shown, ...(LOOPBACK.has(host) ? ['127.0.0.1', 'localhost', '[::1]'] : [])])
    allowedHosts.add(`${name}:${port}`);
  return {
    url: `http://${shown}:${port}/${token ? `?token=${token}` : ''}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Idle keep-alive connections would otherwise hold close() open until they time out.
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => {
          for (const w of workspaces) w.store.close();
          resolve();
        });
      }),
  };
}
