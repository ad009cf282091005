import type { FastifyReply } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { MvError } from '../core/index.js';
import type { Registry, Role } from '../registry/index.js';
import { roleAtLeast } from '../registry/index.js';

/**
 * Bearer tokens issued by the registry (`modelvault token create`). A token is checked against the
 * registry (hash lookup, expiry, revocation); results are cached for a few seconds so the inference
 * hot path does not hit SQLite on every request.
 */
export class Authenticator {
  private readonly cache = new Map<string, { actor: string; role: Role | undefined; until: number }>();
  constructor(private readonly registry: Registry, private readonly ttlMs = 5000, private readonly clock: () => number = Date.now) {}

  /** The identity behind the request's bearer token, or undefined when no Authorization header was sent. */
  async identify(req: { readonly headers: IncomingHttpHeaders }): Promise<{ actor: string; role: Role | undefined } | undefined> {
    const h = req.headers.authorization;
    if (h === undefined) return undefined;
    const m = /^Bearer ([A-Za-z0-9_\-.~+/=]{16,200})$/.exec(h);
    if (!m) throw new MvError('AUTH_REQUIRED', 'Authorization must be "Bearer <token>"');
    const token = m[1]!;
    const now = this.clock();
    const hit = this.cache.get(token);
    if (hit && hit.until > now) return hit;
    const actor = await this.registry.authenticate(token);
    const role = await this.registry.roleOf(actor);
    const v = { actor, role, until: now + this.ttlMs };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(token, v);
    return v;
  }

  /**
   * True when the request's token is cached (checked within the last ttl) with at least `need`; false
   * means "not known yet or not allowed": the caller then takes the asynchronous path (require), which
   * gives the exact error.
   */
  allowedNow(req: { readonly headers: IncomingHttpHeaders }, need: Role): boolean {
    const h = req.headers.authorization;
    if (h === undefined || !h.startsWith('Bearer ')) return false;
    const hit = this.cache.get(h.slice(7));
    return hit !== undefined && hit.until > this.clock() && hit.role !== undefined && roleAtLeast(hit.role, need);
  }

  /** Requires a valid token with at least `need`; returns the actor. */
  async require(req: { readonly headers: IncomingHttpHeaders }, need: Role): Promise<string> {
    const who = await this.identify(req);
    if (!who) throw new MvError('AUTH_REQUIRED', 'this route needs a bearer token (modelvault token create)');
    if (!who.role || !roleAtLeast(who.role, need)) throw new MvError('AUTH_FORBIDDEN', `${who.actor} needs the ${need} role here`);
    return who.actor;
  }

  /** Forgets cached tokens (after a revocation through the API). */
  flush(): void {
    this.cache.clear();
  }
}

export type Reply = FastifyReply;
