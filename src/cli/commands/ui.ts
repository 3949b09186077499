import { serveUi } from '../../ui/serve.ts';
import { FapoError } from '../../util/errors.ts';

export interface UiFlags {
  port?: string;
  host?: string;
}

/** Serves the explorer until interrupted; prints the URL and opens nothing. */
export async function uiCommand(dirs: string[], flags: UiFlags): Promise<number> {
  const port = flags.port === undefined ? 0 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new FapoError(`--port ${flags.port} is not a port number`, 'Give 0 (a free port) up to 65535.');
  const ui = await serveUi({ dirs: dirs.length ? dirs : ['.'], port, ...(flags.host ? { host: flags.host } : {}) });
  // Listening for the stop signals before the URL is printed: a client may act on the URL at once.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log(`fapo ui: ${ui.url}`);
  console.log('read-only; Ctrl-C to stop');
  await stopped;
  await ui.close();
  return 0;
}
