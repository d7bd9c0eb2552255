// @ts-check
/* global process, console */
// "The usual Node stack" doing the gateway's job: express + express-session with
// connect-redis (on the same Redis as the gateway, through ioredis like the gateway) +
// http-proxy-middleware. A session is required on every request (401 without), the
// user's identity goes upstream in X-Auth-* headers, and the request is proxied with
// X-Forwarded-* over a keep-alive agent (same settings as the bare proxy and the gateway).
// Sessions follow the common setup: resave false, saveUninitialized false, a 30-minute
// cookie maxAge whose TTL express-session refreshes in Redis (touch) on every request.
//   node bench/servers/node-stack.mjs <upstream-url> <redis-url>
// POST /__bench/login creates a session (what a login handler would do after checking a
// password) and answers 204 with its cookie; the bench reuses that cookie.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { Redis } from 'ioredis';
import { serve } from './serve.mjs';

const [target, redisUrl] = process.argv.slice(2);
if (!target || !redisUrl) {
  console.error('usage: node-stack.mjs <upstream-url> <redis-url>');
  process.exit(2);
}

const redis = new Redis(redisUrl, { lazyConnect: true });
await redis.connect();

const app = express();
app.set('trust proxy', 'loopback');
app.use(
  session({
    store: new RedisStore({ client: redis, prefix: 'nodestack:sess:' }),
    secret: randomBytes(32).toString('hex'),
    name: 'sid',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 30 * 60 * 1000 },
  }),
);

app.post('/__bench/login', (req, res, next) => {
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.user = { id: 'u-bench', email: 'bench@bench.test', name: 'Bench User', roles: [] };
    req.session.save((err2) => (err2 ? next(err2) : res.status(204).end()));
  });
});

app.use((req, res, next) => {
  if (req.session.user) return next();
  res.status(401).json({ error: 'unauthorized', error_description: 'session required' });
});

const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
app.use(
  createProxyMiddleware({
    target,
    agent,
    xfwd: true,
    changeOrigin: false,
    on: {
      proxyReq(proxyReq, req) {
        const u = /** @type {import('express').Request} */ (req).session.user;
        if (!u) return; // the session check above ran first
        proxyReq.setHeader('x-auth-user', u.id);
        proxyReq.setHeader('x-auth-email', u.email);
        proxyReq.setHeader('x-auth-name', u.name);
        proxyReq.setHeader('x-auth-roles', u.roles.join(','));
      },
      error(_err, _req, res) {
        if (res instanceof http.ServerResponse && !res.headersSent) {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('bad gateway\n');
        } else res.destroy?.();
      },
    },
  }),
);

const server = http.createServer(app);
serve(server, {
  onStop: async () => {
    agent.destroy();
    await redis.quit();
  },
});
