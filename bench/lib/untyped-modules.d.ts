// Types for the bench's dev dependencies that ship none (and have no @types package in
// package.json): only the parts the bench uses (autocannon-worker.mjs, servers/node-stack.mjs).

declare module 'autocannon' {
  interface AutocannonRequest {
    headers: Record<string, string>;
  }
  interface Options {
    url: string;
    connections: number;
    duration: number;
    headers: Record<string, string>;
    timeout: number;
    requests?: { setupRequest(req: AutocannonRequest): AutocannonRequest }[];
  }
  interface Result {
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
    duration: number;
    errors: number;
    timeouts: number;
    latency: { p50: number; p99: number };
  }
  export default function autocannon(opts: Options): Promise<Result>;
}

declare module 'express-session' {
  import type { Handler } from 'express';
  export interface SessionData {
    user?: { id: string; email: string; name: string; roles: string[] };
  }
  export interface Session extends SessionData {
    regenerate(cb: (err?: unknown) => void): void;
    save(cb: (err?: unknown) => void): void;
  }
  export class Store {}
  export interface SessionOptions {
    store: Store;
    secret: string;
    name: string;
    resave: boolean;
    saveUninitialized: boolean;
    cookie: { httpOnly: boolean; sameSite: 'lax' | 'strict' | 'none'; secure: boolean; maxAge: number };
  }
  export default function session(opts: SessionOptions): Handler;
}

declare module 'express' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { Session } from 'express-session';
  export interface Request extends IncomingMessage {
    session: Session;
  }
  export interface Response extends ServerResponse {
    status(code: number): Response;
    json(body: unknown): void;
  }
  export type NextFunction = (err?: unknown) => void;
  export type Handler = (req: Request, res: Response, next: NextFunction) => void;
  export interface Application {
    (req: IncomingMessage, res: ServerResponse): void;
    set(name: string, value: unknown): void;
    use(handler: Handler): void;
    /** Middleware typed by another package (http-proxy-middleware). */
    use(handler: (req: never, res: never, next: never) => unknown): void;
    post(path: string, handler: Handler): void;
  }
  export default function express(): Application;
}
