// Runs the real `verifyToken` of @clerk/backend on a batch of cases, for the Rust differential
// tests (tests/tests/clerk_differential.rs).
//
// Input (stdin): a JSON array of cases
//   { "token": "...", "now_ms": 1700000000000, "options": { "jwtKey": "-----BEGIN ...", ... } }
// where `options` is passed to verifyToken unchanged.
// Output (stdout): a JSON array with one verdict per case, in order:
//   { "ok": true, "payload": {...} }
//   { "ok": false, "reason": "token-expired", "message": "...", "action": "..." | null }
// An exception that is not a TokenVerificationError is reported with `"reason": null` and
// `"thrown"` set to its text, so the Rust side sees it instead of a crash.
//
// Fixing the clock: verifyToken has no `now` option and reads the time only through
// `Date.now()` (`new Date(Date.now())` in its claim checks). Before each case this script
// replaces `Date.now` with a function returning the case's `now_ms`, and restores it at the end.
// Cases run one after another, so no other code observes the fixed time.
//
// Loopback only: `fetch` is replaced before @clerk/backend is loaded (it binds `fetch` when
// it loads) with one that refuses every host but 127.0.0.1, so Backend API cases reach only
// the fake Backend API the Rust test serves, and nothing else is ever contacted.

import { readFileSync } from 'node:fs';

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  if (url.hostname !== '127.0.0.1') {
    throw new Error(`the differential tests fetch only from 127.0.0.1, not ${url.hostname}`);
  }
  return realFetch(input, init);
};

const { verifyToken } = await import('@clerk/backend');

const cases = JSON.parse(readFileSync(0, 'utf8'));
if (!Array.isArray(cases)) {
  throw new Error('expected a JSON array of cases on stdin');
}

const realNow = Date.now;
const verdicts = [];
for (const c of cases) {
  const now = c.now_ms;
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new Error(`case without a finite now_ms: ${JSON.stringify(c).slice(0, 200)}`);
  }
  Date.now = () => now;
  try {
    const payload = await verifyToken(c.token, c.options ?? {});
    verdicts.push({ ok: true, payload });
  } catch (e) {
    if (e && typeof e.reason === 'string') {
      verdicts.push({
        ok: false,
        reason: e.reason,
        message: typeof e.message === 'string' ? e.message : null,
        action: typeof e.action === 'string' ? e.action : null,
      });
    } else {
      verdicts.push({ ok: false, reason: null, message: null, action: null, thrown: String(e) });
    }
  } finally {
    Date.now = realNow;
  }
}

process.stdout.write(JSON.stringify(verdicts));
process.stdout.write('\n');
