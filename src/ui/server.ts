/**
 * The viewer's server: the page built by Vite (dist/ui) and the trace as JSON (GET /api/trace),
 * on 127.0.0.1 only. Requests naming another host are refused (DNS rebinding), and so is any
 * method but GET and HEAD.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { UiBundle } from './model.js';

export const HOST = '127.0.0.1';

/** dist/ui, next to this file's compiled form (dist/src/ui/server.js). */
export function defaultAssetsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

export interface UiServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** 0 (the default) picks a free port */
  port?: number;
  assetsDir?: string;
}

export async function serveUi(bundle: UiBundle, opts: ServeOptions = {}): Promise<UiServer> {
  const assets = opts.assetsDir ?? defaultAssetsDir();
  if (!existsSync(join(assets, 'index.html'))) throw new Error(`the viewer is not built (${join(assets, 'index.html')} is missing): run 'npm run build'`);
  const body = Buffer.from(JSON.stringify(bundle));
  let port = opts.port ?? 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, type: string, data: Buffer | string, extra: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : data);
    };
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) return send(421, 'text/plain', 'wrong host\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    const path = decodeURIComponent(new URL(req.url ?? '/', `http://${HOST}`).pathname);
    if (path === '/api/trace') return send(200, 'application/json; charset=utf-8', body);
    const file = path === '/' ? 'index.html' : normalize(path.slice(1));
    const full = resolve(assets, file);
    const rel = relative(assets, full);
    if (rel.startsWith('..') || rel.includes(`..${sep}`) || !existsSync(full) || !extname(full)) return send(404, 'text/plain', 'not found\n');
    send(200, TYPES[extname(full)] ?? 'application/octet-stream', readFileSync(full));
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch {
      res.writeHead(400).end();
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, HOST, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    server,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}
