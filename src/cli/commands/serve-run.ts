/**
 * `modelvault serve` (loaded lazily by serve.ts): opens the registry as the OS user, builds the server,
 * listens (loopback unless told otherwise), prints the addresses and the sandbox isolation actually
 * achieved, and shuts down gracefully on SIGINT/SIGTERM. `startServing` is shared with the quickstart.
 */
import { isIP } from 'node:net';
import { userInfo } from 'node:os';
import { MvError } from '../../core/index.js';
import { Registry, resolveRegistryDir } from '../../registry/index.js';
import { buildServer, type ModelvaultServer } from '../../server/index.js';
import type { CliContext } from '../main.js';
import { paint } from '../output.js';
import type { ServeCliOptions } from './serve.js';

export const osUser = (): string => {
  try {
    return userInfo().username;
  } catch {
    throw new MvError('USAGE_INVALID', 'cannot tell the OS user name');
  }
};

/** 127.0.0.0/8, ::1, localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export interface ServingOptions {
  readonly registry: Registry;
  readonly actor: string;
  readonly host: string;
  readonly port: number;
  readonly workers?: number;
  readonly publicModels?: readonly string[];
  readonly logLevel: string;
  readonly version: string;
}

export interface Serving {
  readonly server: ModelvaultServer;
  /** Base URLs, one per listening address (`http://127.0.0.1:8080`). */
  readonly urls: readonly string[];
  /** Stops accepting, lets in-flight requests finish, stops the workers, closes the registry. */
  close(): Promise<void>;
}

/** Builds and starts the server; the caller owns the registry until `close`. */
export async function startServing(o: ServingOptions): Promise<Serving> {
  const role = await o.registry.roleOf(o.actor);
  if (!role) throw new MvError('AUTH_FORBIDDEN', `${o.actor} is not an identity of this registry (the server acts as the OS user)`);
  const server = await buildServer({
    registry: o.registry, serviceActor: o.actor, version: o.version,
    logger: o.logLevel === 'silent' ? false : { level: o.logLevel },
    ...(o.workers !== undefined ? { pool: { workers: o.workers } } : {}),
    ...(o.publicModels?.length ? { publicModels: o.publicModels } : {}),
  });
  try {
    await server.pool.whenReady(20_000);
    await server.app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await server.close().catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new MvError('USAGE_INVALID', `${o.host}:${o.port} is already in use (pick another --port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new MvError('USAGE_INVALID', `cannot listen on ${o.host} (${code})`);
    if (code === 'EACCES') throw new MvError('USAGE_INVALID', `no permission to listen on port ${o.port}`);
    throw e;
  }
  const urls = server.app.addresses().map((a) => (typeof a === 'string' ? a : `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`));
  let closing: Promise<void> | undefined;
  return {
    server, urls,
    close: () => (closing ??= server.close().finally(() => o.registry.close())),
  };
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (s: NodeJS.Signals): void => {
      if (seen) process.exit(130);
      seen = true;
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function printServing(s: Serving, host: string, ctx: CliContext): void {
  const out = ctx.output;
  for (const u of s.urls) out.out(`${paint(out, 'green', 'listening')} on ${u}`);
  out.out(`sandbox: ${s.server.pool.isolation.summary}`);
  if (!isLoopback(host)) out.err(`${paint(out, 'yellow', 'warning')}: listening on ${host}, not loopback: the server is reachable from the network (use TLS in front of it and tokens for every model)`);
}

export async function runServe(o: ServeCliOptions, ctx: CliContext): Promise<void> {
  const registry = await Registry.open(resolveRegistryDir(o.registry));
  let s: Serving;
  try {
    s = await startServing({
      registry, actor: osUser(), host: o.host, port: o.port, logLevel: o.logLevel, version: ctx.version,
      ...(o.workers !== undefined ? { workers: o.workers } : {}), ...(o.publicModel ? { publicModels: o.publicModel } : {}),
    });
  } catch (e) {
    registry.close();
    throw e;
  }
  printServing(s, o.host, ctx);
  const sig = await untilSignal();
  ctx.output.err(`${sig}: shutting down (finishing in-flight requests)`);
  await s.close();
}
