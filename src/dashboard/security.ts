import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isIP } from "node:net";

/** The cookie a `?token=` visit sets, so the page's own requests (EventSource included) carry the token. */
export const TOKEN_COOKIE = "tasklane_dashboard";
/** The header every action (POST) must carry, holding the page's CSRF token. */
export const CSRF_HEADER = "x-tasklane-csrf";

/**
 * The page forbids every script but its own file and every connection but its own origin: even a
 * value that slipped into the markup could not run. No inline style either; the script sets styles
 * through the CSSOM, which CSP allows.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
});

/** A fresh random token: the per-handler CSRF token, or a generated access token. */
export function randomToken(): string {
  return randomBytes(32).toString("hex");
}

/** Compares two secrets in time independent of where they differ (and of their lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: `Authorization: Bearer …`, else the dashboard cookie. */
export function requestToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match?.[1] !== undefined) return match[1];
  }
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
  }
  return null;
}

/** The `Set-Cookie` value that stores `token` for the dashboard's path only. */
export function tokenCookie(token: string, path: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=${path}; HttpOnly; SameSite=Strict`;
}

/** True for a loopback address or name: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  const name = bare.toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  if (isIP(name) === 6) return name === "::1" || name === "0:0:0:0:0:0:0:1" || name.startsWith("::ffff:127.");
  return false;
}

/** The host name of a `Host` header, without its port. */
export function hostName(hostHeader: string): string {
  if (hostHeader.startsWith("[")) {
    const end = hostHeader.indexOf("]");
    return end < 0 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.lastIndexOf(":");
  return colon < 0 ? hostHeader : hostHeader.slice(0, colon);
}

/**
 * Why an action (a POST) is refused, or null when it may go ahead: it must carry the page's CSRF
 * token in a header (a form on another site cannot set one), and a browser's Origin, when sent,
 * must be this very host (Sec-Fetch-Site says so too in current browsers).
 */
export function csrfProblem(req: IncomingMessage, csrfToken: string): string | null {
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== "string" || !sameSecret(given, csrfToken)) {
    return `Actions need the page's CSRF token in the ${CSRF_HEADER} header: reload the dashboard.`;
  }
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin") return `Refused a cross-site action (Sec-Fetch-Site: ${site}).`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Refused an action from an unreadable Origin (${origin}).`;
    }
    if (originHost !== req.headers.host) {
      return `Refused an action from another origin (${origin}, this is ${req.headers.host ?? "no host"}).`;
    }
  }
  return null;
}

/** Sends a JSON error; API answers are never cached. */
export function refuse(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
